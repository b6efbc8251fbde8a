"""S3 event records, pure: read them from each way they arrive, decode keys, filter, synthesize.

Keys come three ways and must end up identical (ARCHITECTURE invariant 3): MinIO's listen stream
sends them as stored; MinIO's webhook target URL-encodes ``s3.object.key`` (``%2F``, ``+``) but
also sends the decoded ``bucket/key`` as the top-level ``Key``, which wins; a plain S3 body
(``{"Records": […]}`` or a bare list) is URL-encoded as AWS does unless ``keyEncoding: plain``
says the server sends keys as they are (Versity Gateway does). Catch-up listings have no events,
so a record is synthesized from the listing with ``eventSource: trigger-bridge:catchup``.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any, Final, Literal
from urllib.parse import unquote_plus

from bridge.config.minio import MinioSource
from bridge.sources.webhook import BadBodyError

__all__ = [
    "CATCHUP_EVENT_SOURCE",
    "matches",
    "record_from_listing",
    "records_from_listen",
    "records_from_webhook",
]

CATCHUP_EVENT_SOURCE: Final = "trigger-bridge:catchup"
_TEST_EVENTS: Final = frozenset({"s3:TestEvent"})


def records_from_listen(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Records of one listen-stream message; keys arrive decoded."""
    return [r for r in message.get("Records") or [] if isinstance(r, dict)]


def records_from_webhook(
    body: Any, key_encoding: Literal["auto", "url", "plain"]
) -> list[dict[str, Any]]:
    """Records of a webhook body, keys decoded; an S3 test event gives none.

    Raises:
        BadBodyError: the body is no S3 event notification.
    """
    if isinstance(body, dict) and (body.get("Event") in _TEST_EVENTS or "Service" in body):
        return []
    if isinstance(body, list):
        records, envelope_key = body, None
    elif isinstance(body, dict) and isinstance(body.get("Records"), list):
        records, envelope_key = body["Records"], body.get("Key")
    else:
        raise BadBodyError('not an S3 event notification: expected {"Records": [...]}')
    out = []
    for record in records:
        try:
            key = record["s3"]["object"]["key"]
            bucket = record["s3"]["bucket"]["name"]
        except (KeyError, TypeError):
            raise BadBodyError("an event record has no s3.bucket.name or s3.object.key") from None
        decoded = _decode(key, bucket, envelope_key, key_encoding, single=len(records) == 1)
        decoded_record = copy.deepcopy(record)
        decoded_record["s3"]["object"]["key"] = decoded
        out.append(decoded_record)
    return out


def _decode(key: str, bucket: str, envelope_key: Any, encoding: str, single: bool) -> str:
    if encoding == "plain":
        return key
    prefix = f"{bucket}/"
    if encoding == "auto" and single and str(envelope_key).startswith(prefix):
        return str(envelope_key)[len(prefix) :]  # MinIO's own decoding
    return unquote_plus(key)


def matches(spec: MinioSource, record: dict[str, Any]) -> bool:
    """Tell whether a record is one this trigger starts for (bucket, prefix, suffix, event)."""
    s3 = record.get("s3", {})
    key = s3.get("object", {}).get("key", "")
    return (
        s3.get("bucket", {}).get("name") == spec.bucket
        and key.startswith(spec.prefix)
        and key.endswith(spec.suffix)
        and (
            record.get("eventSource") == CATCHUP_EVENT_SOURCE
            or record.get("eventName") in spec.events
        )
    )


def record_from_listing(
    bucket: str,
    *,
    key: str,
    etag: str,
    size: int,
    last_modified: datetime,
    version_id: str | None,
) -> dict[str, Any]:
    """Synthesize the event record of an object found by a catch-up listing."""
    obj: dict[str, Any] = {"key": key, "size": size, "eTag": etag.strip('"')}
    if version_id and version_id != "null":
        obj["versionId"] = version_id
    when = last_modified.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "eventVersion": "2.0",
        "eventSource": CATCHUP_EVENT_SOURCE,
        "eventTime": when,
        "eventName": "s3:ObjectCreated:Put",
        "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket}, "object": obj},
    }
