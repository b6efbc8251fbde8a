"""Names of the generated objects, events and files, all derived from the trigger's name.

One EventSource and one Sensor per trigger, both called like the trigger, in files
``<trigger>.eventsource.yaml`` and ``<trigger>.sensor.yaml``. The event (and the Sensor's
dependency on it) is called like the trigger too; a schedule with several crons gets one event
per cron, ``<trigger>-0``, ``<trigger>-1``, … in the order of ``crons``.
"""

from __future__ import annotations

from typing import Any, Final

from bridge.config.model import Trigger
from bridge.evaluate import TRIGGER_LABEL

__all__ = [
    "API_VERSION",
    "MANAGED_BY",
    "event_names",
    "eventsource_file",
    "labels",
    "object_metadata",
    "sensor_file",
]

API_VERSION: Final = "argoproj.io/v1alpha1"
MANAGED_BY: Final = ("app.kubernetes.io/managed-by", "trigger-bridge")


def event_names(trigger: Trigger) -> tuple[str, ...]:
    """Return the event names of `trigger`'s EventSource, one per cron for a schedule."""
    schedule = trigger.on.schedule
    if schedule is not None and len(schedule.expressions) > 1:
        return tuple(f"{trigger.name}-{i}" for i in range(len(schedule.expressions)))
    return (trigger.name,)


def eventsource_file(trigger: Trigger) -> str:
    """Return the file name of `trigger`'s EventSource."""
    return f"{trigger.name}.eventsource.yaml"


def sensor_file(trigger: Trigger) -> str:
    """Return the file name of `trigger`'s Sensor."""
    return f"{trigger.name}.sensor.yaml"


def labels(trigger: Trigger) -> dict[str, str]:
    """Return the labels of every generated object: who made it, for which trigger."""
    return {MANAGED_BY[0]: MANAGED_BY[1], TRIGGER_LABEL: trigger.name}


def object_metadata(trigger: Trigger, namespace: str) -> dict[str, Any]:
    """Return the ``metadata`` of `trigger`'s EventSource or Sensor."""
    return {"name": trigger.name, "namespace": namespace, "labels": labels(trigger)}
