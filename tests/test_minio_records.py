"""S3 event records: keys decoded the same whatever way they came, filters, upload identity."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.config.load import load_config
from bridge.config.minio import MinioSource
from bridge.errors import ConfigError
from bridge.evaluate import Submission, evaluate
from bridge.events import Event, minio_data, upload_key
from bridge.sources.minio_records import matches, record_from_listing, records_from_webhook
from bridge.sources.webhook import BadBodyError
from tests.minio_listen_double import record

KEYS = ["flights/2026 12 04/img 1.jpg", "a+b%20c.jpg", "ünïcødé/€ photo.jpg", "deep/er/still/x.jpg"]


def minio_webhook_body(bucket: str, key: str) -> dict:
    """What MinIO's webhook target posts: the record's key QueryEscaped, the top-level Key not."""
    encoded = record(bucket, quote_plus(key, safe=""), "abc")
    return {"EventName": "s3:ObjectCreated:Put", "Key": f"{bucket}/{key}", "Records": [encoded]}


@pytest.mark.parametrize("key", KEYS)
def test_minio_webhook_keys_are_decoded(key: str) -> None:
    [decoded] = records_from_webhook(minio_webhook_body("raw", key), "auto")
    assert decoded["s3"]["object"]["key"] == key


@given(st.text(min_size=1, max_size=40))
def test_every_key_survives_minio_encoding(key: str) -> None:
    [decoded] = records_from_webhook(minio_webhook_body("raw", key), "auto")
    assert decoded["s3"]["object"]["key"] == key
    [aws] = records_from_webhook({"Records": [record("raw", quote_plus(key, safe=""), "e")]}, "auto")
    assert aws["s3"]["object"]["key"] == key
    [plain] = records_from_webhook([record("raw", key, "e")], "plain")
    assert plain["s3"]["object"]["key"] == key


def test_test_events_are_ignored() -> None:
    assert records_from_webhook({"Service": "S3", "Event": "s3:TestEvent"}, "auto") == []


@pytest.mark.parametrize("body", [{"hello": 1}, "x", {"Records": [{"s3": {}}]}])
def test_bad_bodies_say_why(body: object) -> None:
    with pytest.raises(BadBodyError):
        records_from_webhook(body, "auto")


SPEC = MinioSource(bucket="raw", prefix="flights/", suffix=".jpg")


@pytest.mark.parametrize(
    ("bucket", "key", "event", "expected"),
    [
        ("raw", "flights/a.jpg", "s3:ObjectCreated:Put", True),
        ("raw", "flights/a.jpg", "s3:ObjectCreated:CompleteMultipartUpload", True),
        ("raw", "flights/a.png", "s3:ObjectCreated:Put", False),
        ("raw", "other/a.jpg", "s3:ObjectCreated:Put", False),
        ("cooked", "flights/a.jpg", "s3:ObjectCreated:Put", False),
        ("raw", "flights/a.jpg", "s3:ObjectCreated:PutTagging", False),
        ("raw", "flights/a.jpg", "s3:ObjectRemoved:Delete", False),
    ],
)
def test_matches(bucket: str, key: str, event: str, expected: bool) -> None:
    assert matches(SPEC, record(bucket, key, "e", event)) is expected


def test_upload_key_uses_version_else_etag() -> None:
    unversioned = record("raw", "a.jpg", '"abc"')
    assert upload_key(unversioned) == "raw/a.jpg#abc"
    versioned = record("raw", "a.jpg", "abc")
    versioned["s3"]["object"]["versionId"] = "v1"
    assert upload_key(versioned) == "raw/a.jpg@v1"
    versioned["s3"]["object"]["versionId"] = "null"
    assert upload_key(versioned) == "raw/a.jpg#abc"


def test_a_listed_object_has_the_same_identity_as_its_event() -> None:
    listed = record_from_listing(
        "raw", key="a b.jpg", etag='"abc"', size=5, last_modified=datetime(2026, 1, 1, tzinfo=UTC), version_id="null"
    )
    assert upload_key(listed) == upload_key(record("raw", "a b.jpg", "abc"))
    assert matches(MinioSource(bucket="raw"), listed)


def test_workflow_name_follows_the_upload(tmp_path: Path) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text(
        "minio: {endpoint: 'm:9000', accessKey: a, secretKey: b}\n"
        "triggers:\n  - name: drone\n    on: {minio: {bucket: raw}}\n    workflowTemplate: drone-pipeline\n"
        "    parameters:\n      - {name: key, from: notification.0.s3.object.key}\n"
    )
    trigger = load_config(config, environ={}).config.triggers[0]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    first = evaluate(trigger, Event("e1", "minio", "drone", now, minio_data(record("raw", "a b.jpg", "x"))))
    again = evaluate(trigger, Event("e2", "minio", "drone", now, minio_data(record("raw", "a b.jpg", "x"))))
    changed = evaluate(trigger, Event("e3", "minio", "drone", now, minio_data(record("raw", "a b.jpg", "y"))))
    assert isinstance(first, Submission)
    assert isinstance(again, Submission)
    assert isinstance(changed, Submission)
    assert first.workflow_name == again.workflow_name != changed.workflow_name
    assert first.parameters == (("key", "a b.jpg"),)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{minio: {bucket: raw, events: ['s3:ObjectCreated:*']}}", "also fires on tagging"),
        ("{minio: {bucket: raw, events: [tag]}}", "unknown event 'tag'"),
        ("{minio: {bucket: raw, delivery: webhook}}", "delivery: webhook needs"),
        ("{minio: {bucket: raw, webhook: {auth: none}}}", "only apply to delivery: webhook"),
        ("{minio: {bucket: raw, catchup: sometimes}}", "'new', 'all' or 'none'"),
    ],
)
def test_minio_config_errors(tmp_path: Path, source: str, message: str) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text(
        "minio: {endpoint: 'm:9000', accessKey: a, secretKey: b}\n"
        f"triggers:\n  - name: drone\n    on: {source}\n    workflowTemplate: drone-pipeline\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(config, environ={})
    assert any(message in str(p) for p in caught.value.problems), caught.value.problems


def test_minio_trigger_needs_the_server_settings(tmp_path: Path) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text("triggers:\n  - name: drone\n    on: {minio: {bucket: raw}}\n    workflowTemplate: t\n")
    with pytest.raises(ConfigError, match="no top-level `minio:`"):
        load_config(config, environ={})
