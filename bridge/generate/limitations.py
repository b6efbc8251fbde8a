"""What Argo Events cannot express: one warning per trigger and feature, naming both.

The generated objects do the closest thing Argo Events can; each warning says what differs and,
where there is one, what to do about it. ``--strict`` turns any of them into an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from bridge.config.model import BridgeConfig, Trigger
from bridge.generate.delivery import rate_limit, retry_strategy
from bridge.generate.eventsource import flat_metadata
from bridge.generate.parameters import EVENT_TIME, plan_parameters

__all__ = ["GenerateWarning", "settings_limitations", "trigger_limitations"]

# Argo Events names a webhook EventSource's Service "<name>-eventsource-svc", at most 63 long.
_MAX_WEBHOOK_NAME: Final = 63 - len("-eventsource-svc")
_DEDUP_CACHE: Final = (
    "Argo Events deduplicates only by its own random message id, for about a minute"
)


@dataclass(frozen=True)
class GenerateWarning:
    """Something of `trigger` (a trigger name) that the generated objects cannot do as the bridge.

    Attributes:
        trigger: the trigger's name.
        feature: the setting or behaviour concerned, as named in the trigger file.
        message: what differs, and what to do about it.
    """

    trigger: str
    feature: str
    message: str

    def __str__(self) -> str:
        return f"{self.trigger}: {self.feature}: {self.message}"


Check = Callable[[Trigger, BridgeConfig], Iterator[tuple[str, str]]]


def trigger_limitations(trigger: Trigger, config: BridgeConfig) -> list[GenerateWarning]:
    """Return the warnings for `trigger`, once per feature, in a stable order."""
    found: dict[str, str] = {}
    for check in (*_CHECKS[trigger.on.kind], _delivery):
        for feature, message in check(trigger, config):
            found.setdefault(feature, message)
    return [GenerateWarning(trigger.name, feature, message) for feature, message in found.items()]


def settings_limitations(config: BridgeConfig) -> list[GenerateWarning]:
    """Return warnings about the ``generate:`` settings themselves (unused overrides)."""
    webhooks = {t.name for t in config.triggers if t.on.webhook is not None}
    return [
        GenerateWarning(
            name,
            "generate.secrets.webhooks.overrides",
            "no webhook trigger has this name; the override is not used",
        )
        for name in sorted(config.generate.secrets.webhooks.overrides)
        if name not in webhooks
    ]


def _webhook(trigger: Trigger, config: BridgeConfig) -> Iterator[tuple[str, str]]:
    hook = trigger.on.webhook
    assert hook is not None
    if hook.auth.hmac is not None:
        secret = config.generate.secrets.webhooks.for_trigger(trigger.name)
        yield (
            "auth.hmac",
            "Argo Events' webhook EventSource checks only a bearer token; the generated one "
            f"requires 'Authorization: Bearer <token>' with the token from Secret {secret.name} "
            f"key {secret.key}, so the sender must send that instead of an HMAC signature (for "
            "GitHub, use Argo Events' github EventSource with its webhookSecret)",
        )
    if hook.dedup_key is not None:
        yield (
            "dedupKey",
            f"{_DEDUP_CACHE}: the same {hook.dedup_key} sent twice starts two workflows",
        )
    if hook.method != "POST":
        yield (
            "method",
            f"Argo Events' webhook reads a body only from POST (and GET) requests; {hook.method} "
            "requests are refused",
        )
    if len(trigger.name) > _MAX_WEBHOOK_NAME:
        yield (
            "name",
            f"Argo Events names the webhook's Service '{trigger.name}-eventsource-svc', longer "
            f"than 63 characters: shorten the trigger's name to {_MAX_WEBHOOK_NAME}",
        )


def _schedule(trigger: Trigger, _: BridgeConfig) -> Iterator[tuple[str, str]]:
    schedule = trigger.on.schedule
    assert schedule is not None
    if schedule.overlap != "allow":
        yield (
            "overlap",
            f"{schedule.overlap}: Argo Events' calendar has no concurrency policy; every tick "
            "submits a workflow even while the previous one is running",
        )
    if schedule.catchup == "last":
        yield (
            "catchup",
            "last: Argo Events' catch-up replays every missed tick within catchupWindow (the "
            "bridge's `all`), not only the newest",
        )
    elif schedule.catchup == "none":
        yield (
            "catchup",
            "none: Argo Events runs no tick it missed; the bridge still runs a tick that is at "
            "most a minute late",
        )
    if schedule.user_payload is not None and flat_metadata(schedule.user_payload) is None:
        yield (
            "userPayload",
            "Argo Events' calendar event carries only `metadata`, a map of strings; this payload "
            "is not one, so it is not passed on (parameters that read it were resolved now)",
        )
    if schedule.suspend:
        yield (
            "suspend",
            "Argo Events' calendar cannot be suspended; the generated EventSource fires: leave "
            "it out of the cluster while the trigger is suspended",
        )
    if any(plan.data_key == EVENT_TIME for plan in plan_parameters(trigger)):
        yield (
            "eventTime",
            "Argo Events writes eventTime as Go's time.String() of the moment its timer fired "
            "('2026-12-04 01:00:00.000312 +0000 UTC m=+3600.001'; a caught-up tick: the "
            "scheduled time in the schedule's zone), the bridge the scheduled time in RFC 3339 "
            "UTC ('2026-12-04T01:00:00Z'); the workflow gets Argo's format",
        )


def _minio(trigger: Trigger, _: BridgeConfig) -> Iterator[tuple[str, str]]:
    source = trigger.on.minio
    assert source is not None
    if source.catchup != "none":
        yield (
            "catchup",
            f"{source.catchup}: Argo Events only listens to MinIO's live stream and never lists "
            "the bucket, so uploads made while its EventSource is down or disconnected never "
            "start a workflow",
        )
    if source.delivery == "webhook":
        yield (
            "delivery",
            "webhook: Argo Events' minio EventSource always uses MinIO's listen stream; the "
            "bucket's webhook target (and its queue_dir) is not used",
        )
    yield (
        "dedup",
        f"the bridge starts one workflow per object version; {_DEDUP_CACHE}, so the same "
        "upload delivered twice (a reconnect, a replay) starts two workflows",
    )


def _delivery(_: Trigger, config: BridgeConfig) -> Iterator[tuple[str, str]]:
    __, retry_note = retry_strategy(config.submit.retry)
    if retry_note is not None:
        yield "submit.retry", retry_note
    __, rate_note = rate_limit(config.submit.rate_per_second)
    if rate_note is not None:
        yield "submit.ratePerSecond", rate_note


_CHECKS: Final[dict[str, tuple[Check, ...]]] = {
    "webhook": (_webhook,),
    "schedule": (_schedule,),
    "minio": (_minio,),
}
