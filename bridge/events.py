"""The Event envelope and the per-source data shapes, as Argo Events builds them.

One `make_event` builds every envelope (as Argo's EventSource adaptor does), so ids and
timestamps are made one way. The ``data`` of an event has the shape Argo Events gives the same
source, so a ``from:`` path means the same in the daemon and in a generated Sensor:

- webhook: ``{"header": {<Go-canonical name>: [values…]}, "body": <decoded JSON>}``
- minio: ``{"notification": [<one S3 event record>]}``, the object key URL-decoded
- schedule: ``{"eventTime": "<RFC 3339, UTC>", "userPayload": …}`` (Argo's calendar source writes
  Go's ``time.String()`` format there; RFC 3339 is a deliberate, documented difference)
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from bridge.clock import Clock

__all__ = [
    "REDACTED_HEADERS",
    "Event",
    "calendar_data",
    "canonical_header",
    "make_event",
    "minio_data",
    "new_event_id",
    "rfc3339",
    "upload_key",
    "webhook_data",
]

# Credentials never enter the journal: the bridge has checked them, nothing downstream needs them.
REDACTED_HEADERS: Final = frozenset({"Authorization", "Cookie", "Proxy-Authorization"})
_TOKEN_CHARS: Final = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~")


@dataclass(frozen=True)
class Event:
    """One accepted event.

    Attributes:
        id: unique, time-ordered, usable as a Kubernetes label value.
        source: the source kind (``webhook``, ``minio``, ``schedule``).
        trigger: the name of the trigger it was received for.
        time: when the bridge accepted it (UTC).
        data: the payload in Argo Events' shape for `source`.
    """

    id: str
    source: str
    trigger: str
    time: datetime
    data: dict[str, Any] = field(hash=False)


def new_event_id(now: datetime) -> str:
    """Return a 28-hex-digit id: milliseconds since the epoch, then 64 random bits."""
    millis = int(now.timestamp() * 1000)
    return f"{millis:012x}{secrets.token_hex(8)}"


def make_event(source: str, trigger: str, data: dict[str, Any], clock: Clock) -> Event:
    """Build the envelope for a payload a source produced."""
    now = clock.now()
    return Event(id=new_event_id(now), source=source, trigger=trigger, time=now, data=data)


def canonical_header(name: str) -> str:
    """Return `name` as Go's ``textproto.CanonicalMIMEHeaderKey`` writes it.

    ``x-github-delivery`` becomes ``X-Github-Delivery``; a name with a character that is not
    an HTTP token character is returned unchanged, as Go does.
    """
    if not name or any(c not in _TOKEN_CHARS for c in name):
        return name
    out: list[str] = []
    upper = True
    for char in name:
        out.append(char.upper() if upper else char.lower())
        upper = char == "-"
    return "".join(out)


def webhook_data(headers: Iterable[tuple[str, str]], body: Any) -> dict[str, Any]:
    """Build webhook event data: canonical header names, every value kept, credentials removed."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        key = canonical_header(name)
        if key not in REDACTED_HEADERS:
            grouped.setdefault(key, []).append(value)
    return {"header": grouped, "body": body}


def calendar_data(tick: datetime, payload: Any = None) -> dict[str, Any]:
    """Build schedule event data for the tick at `tick`."""
    data: dict[str, Any] = {"eventTime": rfc3339(tick)}
    if payload is not None:
        data["userPayload"] = payload
    return data


def rfc3339(moment: datetime) -> str:
    """Write `moment` in UTC as ``2026-12-04T02:00:00Z`` (microseconds only when present)."""
    text = moment.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def minio_data(record: dict[str, Any]) -> dict[str, Any]:
    """Wrap one S3 event record (key already decoded) as Argo Events' minio event data."""
    return {"notification": [record]}


def upload_key(record: dict[str, Any]) -> str:
    """Identify one upload: ``bucket/key@versionId``, or ``bucket/key#eTag`` when unversioned.

    The listen stream, the webhook target and a catch-up listing all yield the same key for the
    same object version, so one upload starts one workflow however many ways it was seen; a new
    upload of the key gets a new version or eTag, and so a new workflow.
    """
    s3 = record.get("s3", {})
    bucket = s3.get("bucket", {}).get("name", "")
    obj = s3.get("object", {})
    version = obj.get("versionId")
    if version and version != "null":
        return f"{bucket}/{obj.get('key', '')}@{version}"
    return f"{bucket}/{obj.get('key', '')}#{str(obj.get('eTag', '')).strip(chr(34))}"
