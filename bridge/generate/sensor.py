"""The Sensor of one trigger: submit the trigger's WorkflowTemplate with its parameters.

One dependency per event of the trigger's EventSource and one ``argoWorkflow`` trigger
(``operation: submit``, written out: Argo's validation refuses it empty) whose
``source.resource`` is a Workflow with a ``workflowTemplateRef``. Parameters are planned in
`bridge.generate.parameters`: fixed values are in the Workflow, the rest are Sensor parameters
with ``dest: spec.arguments.parameters.N.value``.

``atLeastOnce``, ``retryStrategy`` and ``rateLimit`` are keys of the Sensor's *trigger*,
siblings of ``template``: inside ``template`` Argo Events drops them without a word.
"""

from __future__ import annotations

from typing import Any

from bridge.config.model import BridgeConfig, Trigger
from bridge.evaluate import TRIGGER_LABEL
from bridge.generate.delivery import rate_limit, retry_strategy
from bridge.generate.names import API_VERSION, event_names, object_metadata
from bridge.generate.parameters import ParameterPlan, plan_parameters, workflow_parameters

__all__ = ["build_sensor", "build_workflow"]


def build_sensor(trigger: Trigger, config: BridgeConfig) -> dict[str, Any]:
    """Return the Sensor object for `trigger`."""
    settings = config.generate
    events = event_names(trigger)
    plans = plan_parameters(trigger)
    template: dict[str, Any] = {"name": trigger.name}
    if len(events) > 1:
        template["conditions"] = " || ".join(events)
    argo_workflow: dict[str, Any] = {
        "operation": "submit",
        "source": {"resource": build_workflow(trigger, config, plans)},
    }
    parameters = _sensor_parameters(plans, events)
    if parameters:
        argo_workflow["parameters"] = parameters
    template["argoWorkflow"] = argo_workflow
    retry, _ = retry_strategy(config.submit.retry)
    limit, _ = rate_limit(config.submit.rate_per_second)
    sensor_trigger = {
        "template": template,
        "atLeastOnce": True,
        "retryStrategy": retry,
        "rateLimit": limit,
    }
    return {
        "apiVersion": API_VERSION,
        "kind": "Sensor",
        "metadata": object_metadata(trigger, settings.namespace),
        "spec": {
            "eventBusName": settings.event_bus_name,
            "template": {"serviceAccountName": settings.service_account_name},
            "dependencies": [
                {"name": name, "eventSourceName": trigger.name, "eventName": name}
                for name in events
            ],
            "triggers": [sensor_trigger],
        },
    }


def build_workflow(
    trigger: Trigger, config: BridgeConfig, plans: tuple[ParameterPlan, ...]
) -> dict[str, Any]:
    """Return the Workflow the Sensor submits, before its parameters are filled in."""
    workflow: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "Workflow",
        "metadata": {
            "generateName": f"{trigger.name}-",
            "namespace": config.argo.namespace,
            "labels": {TRIGGER_LABEL: trigger.name},  # as on the bridge's own runs
        },
        "spec": {"workflowTemplateRef": {"name": trigger.workflow_template}},
    }
    if plans:
        workflow["spec"]["arguments"] = {"parameters": workflow_parameters(plans)}
    return workflow


def _sensor_parameters(
    plans: tuple[ParameterPlan, ...], events: tuple[str, ...]
) -> list[dict[str, Any]]:
    """One Sensor parameter per filled-in workflow parameter and dependency.

    With several dependencies (OR-ed; only a schedule with several crons has them), each
    parameter is taken from whichever fired: Argo Events skips a parameter whose dependency has
    no event, unless it has a ``value``, which would then overwrite the real one. So these get
    no ``value``; they need none, since the planner leaves only ``eventTime`` to the Sensor and
    every calendar event has it.
    """
    out: list[dict[str, Any]] = []
    for plan in plans:
        if plan.data_key is None:
            continue
        for dependency in events:
            src: dict[str, Any] = {"dependencyName": dependency, "dataKey": plan.data_key}
            if plan.default is not None and len(events) == 1:
                src["value"] = plan.default
            out.append({"src": src, "dest": plan.dest})
    return out
