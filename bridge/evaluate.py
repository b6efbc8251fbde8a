"""The pure core: what an event means for a trigger, with no I/O and no clock.

`evaluate(trigger, event)` returns a `Submission` (the workflow name, template, parameters and
labels to submit) or a `Failure` (why nothing can be submitted); `Skip` records a run not started
on purpose (a missed schedule tick, an overlap). Names: a webhook run is
``<trigger>-<hash of its dedup key>``, a schedule tick ``<trigger>-<unix seconds>``. The daemon,
``trigger-bridge test`` and the generator's parity tests all call it, so they cannot disagree. A
submission is always whole: if one parameter cannot be rendered the event fails, it is never
half-filled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from bridge.config.model import Trigger
from bridge.events import Event, upload_key
from bridge.naming import workflow_name
from bridge.paths import MISSING, to_text

__all__ = [
    "EVENT_LABEL",
    "MANUAL_SOURCE",
    "MINIO_SOURCE",
    "SCHEDULE_SOURCE",
    "TRIGGER_LABEL",
    "Decision",
    "Failure",
    "Overlap",
    "Skip",
    "Submission",
    "evaluate",
    "tick_name",
]

TRIGGER_LABEL: Final = "trigger-bridge/trigger"
EVENT_LABEL: Final = "trigger-bridge/event"
SCHEDULE_SOURCE: Final = "schedule"
MINIO_SOURCE: Final = "minio"
MANUAL_SOURCE: Final = "manual"  # `trigger-bridge fire`: a run out of schedule, named for itself

Overlap = Literal["allow", "skip", "replace"]


@dataclass(frozen=True)
class Submission:
    """A workflow to submit from a WorkflowTemplate, complete and deterministic.

    Attributes:
        workflow_name: ``<trigger>-<hash of dedup_key>``; the same key gives the same name.
        template: the WorkflowTemplate to submit.
        dedup_key: the key that identifies this run (the event's id when none is configured).
        parameters: ``(name, value)`` pairs in the trigger's order.
        labels: ``(key, value)`` pairs naming the trigger and the event.
    """

    workflow_name: str
    template: str
    dedup_key: str
    parameters: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    overlap: Overlap = "allow"


@dataclass(frozen=True)
class Skip:
    """A run deliberately not started: a tick `missed` while the bridge was down, or `skipped`."""

    state: Literal["missed", "skipped"]
    reason: str
    dedup_key: str
    workflow_name: str


@dataclass(frozen=True)
class Failure:
    """Why an event cannot start a workflow; `workflow_name` is set when it was known."""

    reason: str
    dedup_key: str | None = None
    workflow_name: str | None = None

    def __post_init__(self) -> None:
        if not self.reason:
            raise ValueError("a Failure needs a reason")


Decision = Submission | Failure | Skip


def evaluate(trigger: Trigger, event: Event) -> Decision:
    """Decide what `event` starts for `trigger`.

    Returns:
        A `Submission` when every parameter renders, else a `Failure` naming each missing path.
    """
    run_key = _run_key(trigger, event)
    if isinstance(run_key, Failure):
        return run_key
    dedup_key, name = run_key
    parameters: list[tuple[str, str]] = []
    missing: list[str] = []
    for parameter in trigger.parameters:
        if parameter.value is not None:
            parameters.append((parameter.name, parameter.value))
            continue
        assert parameter.from_ is not None  # the model guarantees one of the two
        value = parameter.from_.get(event.data)
        if value is MISSING:
            if parameter.default is None:
                missing.append(f"{parameter.name} (from {parameter.from_})")
                continue
            parameters.append((parameter.name, parameter.default))
        else:
            parameters.append((parameter.name, to_text(value)))
    if missing:
        return Failure(
            f"the event has no value for parameter {', '.join(missing)}; "
            "nothing was submitted (give the parameter a `default`, or fix the sender)",
            dedup_key,
            name,
        )
    labels = ((TRIGGER_LABEL, trigger.name), (EVENT_LABEL, event.id))
    schedule = trigger.on.schedule
    overlap: Overlap = schedule.overlap if schedule is not None else "allow"
    return Submission(
        name, trigger.workflow_template, dedup_key, tuple(parameters), labels, overlap
    )


def tick_name(trigger: str, tick: datetime) -> str:
    """Name the run of a schedule tick ``<trigger>-<unix seconds>``, as CronWorkflow does."""
    return f"{trigger}-{int(tick.timestamp())}"


def _run_key(trigger: Trigger, event: Event) -> tuple[str, str] | Failure:
    """Return the dedup key and the workflow name of the run `event` asks for."""
    if event.source == SCHEDULE_SOURCE:
        tick = datetime.fromisoformat(str(event.data["eventTime"]))
        return str(int(tick.timestamp())), tick_name(trigger.name, tick)
    if event.source == MINIO_SOURCE:
        upload = upload_key(event.data["notification"][0])
        return upload, workflow_name(trigger.name, upload)
    if event.source == MANUAL_SOURCE:
        manual = f"manual@{event.id}"
        return manual, workflow_name(trigger.name, manual)
    key = _dedup_key(trigger, event)
    return key if isinstance(key, Failure) else (key, workflow_name(trigger.name, key))


def _dedup_key(trigger: Trigger, event: Event) -> str | Failure:
    webhook = trigger.on.webhook
    path = webhook.dedup_key if webhook is not None else None
    if path is None:
        return event.id
    value = path.get(event.data)
    if value is MISSING or value in (None, "", [], {}):
        return Failure(f"the event has no dedup key at {path}; the sender must provide it")
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]  # a header given once: its value, not the one-element list
    return to_text(value)
