"""``trigger-bridge minio setup``: connect MinIO's webhook target to the bridge.

For each trigger with ``delivery: webhook`` it prints the MinIO server environment for a webhook
target (with ``queue_dir``, so MinIO keeps and retries events while the bridge is down, and
``MINIO_API_SYNC_EVENTS=on``, so an upload is not acknowledged before its event is queued), then
attaches the bucket notification for the trigger's bucket, prefix, suffix and events through
minio-py (keyword arguments: the positional form of ``QueueConfig`` is a known trap). The token is
shown only with ``--show-secrets``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from minio import Minio
from minio.error import MinioException
from minio.notificationconfig import (
    NotificationConfig,
    PrefixFilterRule,
    QueueConfig,
    SuffixFilterRule,
)

from bridge.cli_common import EXIT_FAILED, Register
from bridge.config.load import LoadedConfig
from bridge.config.model import Trigger
from bridge.config.types import split_listen
from bridge.sources.minio import make_client

__all__ = ["add_commands", "setup"]

ANY_INTERFACE = "0.0.0.0"  # noqa: S104 - compared with the setting, never bound


def add_commands(register: Register) -> None:
    """Add ``minio setup`` through the CLI's `register(name, help, handler)`."""
    sub = register(
        "minio", "MinIO helpers: `setup` prints the webhook settings, attaches events", _setup
    )
    sub.add_argument("action", choices=["setup"], help="what to do")
    sub.add_argument(
        "--bridge-url", help="how MinIO reaches the bridge (default: from http.listen)"
    )
    sub.add_argument(
        "--queue-dir", default="/data/.trigger-bridge-queue", help="absolute, on MinIO's host"
    )
    sub.add_argument(
        "--show-secrets", action="store_true", help="print the token instead of <redacted>"
    )
    sub.add_argument("--print-only", action="store_true", help="do not contact MinIO")


def target_id(trigger: Trigger) -> str:
    """The MinIO target id for a trigger: ``drone-photos`` becomes ``DRONE_PHOTOS``."""
    return trigger.name.upper().replace("-", "_")


def _setup(loaded: LoadedConfig, args: argparse.Namespace) -> int:
    settings = loaded.config.minio
    if settings is None:
        print("no top-level `minio:` in the file: nothing to set up")
        return 0
    return setup(loaded, args, lambda: make_client(settings))


def setup(loaded: LoadedConfig, args: argparse.Namespace, client: Callable[[], Minio]) -> int:
    """Print the environment and attach the notifications; return the exit status."""
    config = loaded.config
    hooked = [
        t for t in config.triggers if t.on.minio is not None and t.on.minio.webhook is not None
    ]
    if not hooked:
        print("no trigger has `delivery: webhook`; listen triggers need no MinIO setup")
        return 0
    host, port = split_listen(config.http.listen)
    local = "127.0.0.1" if host == ANY_INTERFACE else host
    base = (args.bridge_url or f"http://{local}:{port}").rstrip("/")
    print("# MinIO server environment (set it, then restart MinIO):")
    print("MINIO_API_SYNC_EVENTS=on")
    for trigger in hooked:
        ident = target_id(trigger)
        route = trigger.route
        assert route is not None
        spec = trigger.on.minio
        assert spec is not None
        assert spec.webhook is not None
        bearer = spec.webhook.auth.bearer
        token = bearer.get_secret_value() if bearer is not None else None
        shown = (
            token
            if args.show_secrets or token is None
            else "<redacted: the trigger's bearer token>"
        )
        print(f"MINIO_NOTIFY_WEBHOOK_ENABLE_{ident}=on")
        print(f"MINIO_NOTIFY_WEBHOOK_ENDPOINT_{ident}={base}{route[0]}")
        if shown is not None:
            print(f"MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_{ident}={shown}")
        print(f"MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_{ident}={args.queue_dir.rstrip('/')}/{trigger.name}")
    if args.print_only:
        return 0
    return _attach(hooked, client)


def _attach(triggers: list[Trigger], client: Callable[[], Minio]) -> int:
    by_bucket: dict[str, list[QueueConfig]] = {}
    for trigger in triggers:
        spec = trigger.on.minio
        assert spec is not None
        by_bucket.setdefault(spec.bucket, []).append(
            QueueConfig(
                queue=f"arn:minio:sqs::{target_id(trigger)}:webhook",
                events=list(spec.events),
                config_id=f"trigger-bridge-{trigger.name}",
                prefix_filter_rule=PrefixFilterRule(spec.prefix) if spec.prefix else None,
                suffix_filter_rule=SuffixFilterRule(spec.suffix) if spec.suffix else None,
            )
        )
    status = 0
    for bucket, queues in by_bucket.items():
        try:
            client().set_bucket_notification(
                bucket_name=bucket, config=NotificationConfig(queue_config_list=queues)
            )
        except (MinioException, OSError) as exc:
            print(
                f"error: could not attach the notification to bucket {bucket!r}: {exc}. If MinIO "
                "says the ARN does not exist, set the environment above and restart MinIO first.",
                file=sys.stderr,
            )
            status = EXIT_FAILED
            continue
        print(f"attached: bucket {bucket} -> {', '.join(str(q.queue) for q in queues)}")
    return status
