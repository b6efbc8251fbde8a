"""How each workflow parameter of a trigger is filled in the generated Sensor.

A fixed ``value`` is written into the Workflow directly. A ``from`` path becomes a Sensor
parameter whose ``dataKey`` is the same path (both follow gjson) and whose ``value`` is the
``default``; the Workflow holds a placeholder that the Sensor always overwrites (when the path
selects nothing and there is no default, Argo Events fails the trigger, as the bridge fails the
event).

Schedule events differ in one way that matters here: Argo's calendar data has no
``userPayload`` (only a ``metadata`` map of strings), but the payload is fixed in the trigger
file, so a path other than ``eventTime`` is resolved now and written in as a fixed value; only
``eventTime`` is left to the Sensor. That also makes a schedule with several crons (one event
each, OR-ed) exact: ``eventTime`` is present in every one of its events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.config.model import Parameter, Trigger
from bridge.paths import MISSING, DataPath, to_text

__all__ = ["EVENT_TIME", "ParameterPlan", "plan_parameters", "workflow_parameters"]

EVENT_TIME = "eventTime"


@dataclass(frozen=True)
class ParameterPlan:
    """One workflow parameter as generated.

    Attributes:
        index: its position in ``spec.arguments.parameters`` (the Sensor's ``dest``).
        name: the workflow parameter's name.
        value: what the Workflow in the Sensor holds: the final value, or a placeholder.
        data_key: the path the Sensor fills the value from; None when `value` is final.
        default: the Sensor parameter's ``value``, used when `data_key` selects nothing.
    """

    index: int
    name: str
    value: str
    data_key: str | None = None
    default: str | None = None

    @property
    def dest(self) -> str:
        """The Sensor parameter's ``dest`` in the Workflow."""
        return f"spec.arguments.parameters.{self.index}.value"


def plan_parameters(trigger: Trigger) -> tuple[ParameterPlan, ...]:
    """Return how each of `trigger`'s parameters is filled, in the trigger's order."""
    return tuple(_plan(trigger, index, p) for index, p in enumerate(trigger.parameters))


def workflow_parameters(plans: tuple[ParameterPlan, ...]) -> list[dict[str, str]]:
    """Return the Workflow's ``spec.arguments.parameters`` before the Sensor fills them in."""
    return [{"name": plan.name, "value": plan.value} for plan in plans]


def _plan(trigger: Trigger, index: int, parameter: Parameter) -> ParameterPlan:
    if parameter.value is not None:
        return ParameterPlan(index, parameter.name, parameter.value)
    path = parameter.from_
    assert path is not None  # the model guarantees one of `from` and `value`
    schedule = trigger.on.schedule
    if schedule is not None and path.parts != (EVENT_TIME,):
        fixed = _fixed_schedule_value(path, schedule.user_payload, parameter.default)
        if fixed is not None:
            return ParameterPlan(index, parameter.name, fixed)
    placeholder = parameter.default
    if placeholder is None:
        placeholder = f"(set by the Sensor from {path.text})"
    return ParameterPlan(index, parameter.name, placeholder, path.text, parameter.default)


def _fixed_schedule_value(path: DataPath, payload: Any, default: str | None) -> str | None:
    """Resolve a schedule path now; None if it selects nothing and has no default."""
    data = {} if payload is None else {"userPayload": payload}
    value = path.get(data)
    if value is MISSING:
        return default  # None: left to the Sensor, which fails on every tick as the bridge does
    return to_text(value)
