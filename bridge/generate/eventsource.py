"""The EventSource of one trigger: ``webhook``, ``calendar`` or ``minio``, never mixed.

One object per trigger, so a webhook (which Argo Events rolls over on update) never shares an
object with a minio or calendar source (which it recreates): Argo rejects that mix. Secrets are
SecretKeySelectors named in the ``generate:`` settings, never values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from bridge.config.model import BridgeConfig, Trigger
from bridge.generate.goformat import go_duration
from bridge.generate.names import API_VERSION, event_names, object_metadata

__all__ = ["build_eventsource", "catchup_configmap", "flat_metadata"]

SpecBuilder = Callable[[Trigger, BridgeConfig], tuple[str, dict[str, Any]]]


def build_eventsource(trigger: Trigger, config: BridgeConfig) -> dict[str, Any]:
    """Return the EventSource object for `trigger`."""
    settings = config.generate
    spec: dict[str, Any] = {"eventBusName": settings.event_bus_name}
    kind, events = _BUILDERS[trigger.on.kind](trigger, config)
    if kind == "webhook":
        port = settings.webhook_port
        spec["service"] = {"ports": [{"port": port, "targetPort": port}]}
    spec[kind] = events
    return {
        "apiVersion": API_VERSION,
        "kind": "EventSource",
        "metadata": object_metadata(trigger, settings.namespace),
        "spec": spec,
    }


def catchup_configmap(trigger: Trigger) -> str:
    """Return the ConfigMap a calendar EventSource keeps its last tick in."""
    return f"{trigger.name}-catchup"


def flat_metadata(payload: Any) -> dict[str, str] | None:
    """Return a schedule's userPayload as calendar ``metadata`` if it is a map of strings."""
    if isinstance(payload, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in payload.items()
    ):
        return dict(payload)
    return None


def _webhook(trigger: Trigger, config: BridgeConfig) -> tuple[str, dict[str, Any]]:
    hook = trigger.on.webhook
    assert hook is not None
    settings = config.generate
    event: dict[str, Any] = {
        "port": str(settings.webhook_port),
        "endpoint": hook.path,
        "method": hook.method,
        "url": "",  # unused by the generic webhook, but required by Argo's JSON schema
        "maxPayloadSize": hook.max_body_bytes or config.http.max_body_bytes,
    }
    if not hook.auth.none:  # hmac too: a bearer token, never an open hook (see the warning)
        event["authSecret"] = settings.secrets.webhooks.for_trigger(trigger.name).selector()
    return "webhook", {event_names(trigger)[0]: event}


def _calendar(trigger: Trigger, config: BridgeConfig) -> tuple[str, dict[str, Any]]:
    schedule = trigger.on.schedule
    assert schedule is not None
    events: dict[str, Any] = {}
    metadata = flat_metadata(schedule.user_payload)
    for name, cron in zip(event_names(trigger), schedule.expressions, strict=True):
        event: dict[str, Any] = {"schedule": cron, "timezone": schedule.timezone}
        if metadata:
            event["metadata"] = metadata
        if schedule.catchup != "none":
            event["persistence"] = {
                "catchup": {"enabled": True, "maxDuration": go_duration(schedule.catchup_window)},
                "configMap": {"name": catchup_configmap(trigger), "createIfNotExist": True},
            }
        events[name] = event
    return "calendar", events


def _minio(trigger: Trigger, config: BridgeConfig) -> tuple[str, dict[str, Any]]:
    source, server = trigger.on.minio, config.minio
    assert source is not None
    assert server is not None  # the model requires `minio:` when a trigger watches MinIO
    secrets = config.generate.secrets.minio
    event: dict[str, Any] = {
        "endpoint": server.endpoint,
        "bucket": {"name": source.bucket},
        "insecure": not server.secure,
    }
    if server.region:
        event["region"] = server.region
    event.update(
        {
            "accessKey": secrets.access().selector(),
            "secretKey": secrets.secret().selector(),
            "events": list(source.events),
            # both keys, even empty: Argo's JSON schema requires them (runtime does not)
            "filter": {"prefix": source.prefix, "suffix": source.suffix},
        }
    )
    return "minio", {event_names(trigger)[0]: event}


_BUILDERS: Final[dict[str, SpecBuilder]] = {
    "webhook": _webhook,
    "schedule": _calendar,
    "minio": _minio,
}
