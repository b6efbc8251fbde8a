"""The real S3 server the integration tests use (Versity Gateway, see tests/s3_server.py).

These tests pin down the server behaviour the bridge relies on: object keys that need
escaping, ListObjectsV2 with LastModified/ETag (catch-up), multipart uploads, data
surviving a restart, versioning, and the event webhook target's request shape.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from minio import Minio
from minio.commonconfig import ENABLED
from minio.versioningconfig import VersioningConfig

from tests.s3_server import S3Server, require_s3_server_binary, skip_module_unless_built

skip_module_unless_built()

BUCKET = "raw"
# Spaces, '+', '%', non-ASCII and nested folders: everything a URL-encoding slip breaks.
AWKWARD_KEY = "drone 7/2026-12-04/photos/IMG 0001+edit 50% ünïcødé €.jpg"
MiB = 1024 * 1024
EVENT_TIMEOUT = 10.0

JSON = dict[str, Any]


# -- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_binary() -> Path:
    return require_s3_server_binary()


@pytest.fixture
def s3_server(s3_binary: Path, tmp_path: Path) -> Iterator[S3Server]:
    server = S3Server(s3_binary, root=tmp_path / "s3").start()
    yield server
    server.close()


@pytest.fixture
def s3(s3_server: S3Server) -> Minio:
    client = s3_server.client()
    client.make_bucket(bucket_name=BUCKET)
    return client


class WebhookReceiver:
    """A stdlib HTTP server on 127.0.0.1 that records every POST (path, headers, JSON body)."""

    def __init__(self, port: int = 0) -> None:
        self.posts: list[tuple[str, dict[str, str], JSON]] = []
        self._lock = threading.Lock()
        self._arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.posts.append((self.path, dict(self.headers), json.loads(raw)))
                receiver._arrived.set()
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/s3"

    def bodies(self) -> list[JSON]:
        with self._lock:
            return [body for _, _, body in self.posts]

    def wait_for(
        self, predicate: Callable[[JSON], bool], timeout: float = EVENT_TIMEOUT
    ) -> tuple[str, dict[str, str], JSON]:
        """The first POST whose body satisfies `predicate`, waiting up to `timeout` for it."""
        deadline = time.monotonic() + timeout
        while True:
            self._arrived.clear()  # clear before looking, so a POST landing now still wakes us
            with self._lock:
                for post in self.posts:
                    if predicate(post[2]):
                        return post
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching webhook POST in {timeout}s: {self.bodies()}")
            self._arrived.wait(remaining)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    yield hook
    hook.stop()


def record_for(event_name: str, key: str) -> Callable[[JSON], bool]:
    def matches(body: JSON) -> bool:
        records = body.get("Records") or []
        return (
            bool(records)
            and records[0].get("eventName") == event_name
            and records[0]["s3"]["object"]["key"] == key
        )

    return matches


def put_bytes(client: Minio, key: str, data: bytes, part_size: int = 0) -> Any:
    return client.put_object(
        bucket_name=BUCKET, object_name=key, data=io.BytesIO(data), length=len(data),
        part_size=part_size,
    )  # fmt: skip


# -- plain S3 --------------------------------------------------------------------------


def test_awkward_keys_round_trip(s3: Minio) -> None:
    put_bytes(s3, AWKWARD_KEY, b"pixels")

    assert s3.get_object(bucket_name=BUCKET, object_name=AWKWARD_KEY).read() == b"pixels"
    assert s3.stat_object(bucket_name=BUCKET, object_name=AWKWARD_KEY).size == 6
    names = [o.object_name for o in s3.list_objects(bucket_name=BUCKET, recursive=True)]
    assert names == [AWKWARD_KEY]
    # Nested folders are real prefixes: a non-recursive listing stops at the first "/".
    top = [o.object_name for o in s3.list_objects(bucket_name=BUCKET)]
    assert top == ["drone 7/"]


def test_list_objects_v2_reports_last_modified_and_etag(s3: Minio) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    contents = {f"drone 7/{n}.jpg": f"image {n}".encode() for n in ("b", "a", "c+d")}
    for key, data in contents.items():
        put_bytes(s3, key, data)
    after = datetime.now(UTC)

    # minio-py lists with ListObjectsV2 unless use_api_v1=True.
    listed = list(s3.list_objects(bucket_name=BUCKET, prefix="drone 7/", recursive=True))

    assert [o.object_name for o in listed] == sorted(contents)  # lexicographic key order
    for obj in listed:
        assert obj.etag == hashlib.md5(contents[obj.object_name]).hexdigest()
        assert obj.size == len(contents[obj.object_name])
        assert before <= obj.last_modified <= after + timedelta(seconds=1)
        # Versity reports LastModified in whole seconds (MinIO: milliseconds), so a
        # catch-up watermark must allow for equal timestamps.
        assert obj.last_modified.microsecond == 0
    after_a = [o.object_name for o in s3.list_objects(
        bucket_name=BUCKET, prefix="drone 7/", recursive=True, start_after="drone 7/a.jpg"
    )]  # fmt: skip
    assert after_a == ["drone 7/b.jpg", "drone 7/c+d.jpg"]


def test_multipart_upload(s3: Minio) -> None:
    data = bytes(range(256)) * (11 * MiB // 256)

    result = put_bytes(s3, "big/flight log.bin", data, part_size=5 * MiB)

    assert result.etag.endswith("-3")  # 5 + 5 + 1 MiB
    stat = s3.stat_object(bucket_name=BUCKET, object_name="big/flight log.bin")
    assert stat.size == len(data)
    assert stat.etag == result.etag
    read = s3.get_object(bucket_name=BUCKET, object_name="big/flight log.bin").read()
    assert hashlib.sha256(read).digest() == hashlib.sha256(data).digest()


def test_restart_keeps_data_port_and_credentials(s3_server: S3Server, s3: Minio) -> None:
    put_bytes(s3, AWKWARD_KEY, b"kept")
    endpoint, pid = s3_server.endpoint, s3_server.pid

    s3_server.restart()

    assert s3_server.endpoint == endpoint
    assert s3_server.pid != pid
    assert s3.get_object(bucket_name=BUCKET, object_name=AWKWARD_KEY).read() == b"kept"
    s3_server.stop()
    assert not s3_server.running


def test_versioning(s3: Minio) -> None:
    s3.set_bucket_versioning(bucket_name=BUCKET, config=VersioningConfig(ENABLED))
    assert s3.get_bucket_versioning(bucket_name=BUCKET).status == ENABLED

    first = put_bytes(s3, "k.txt", b"v1")
    second = put_bytes(s3, "k.txt", b"v2")

    assert first.version_id
    assert second.version_id
    assert first.version_id != second.version_id
    versions = list(s3.list_objects(bucket_name=BUCKET, include_version=True, recursive=True))
    assert {(v.version_id, v.is_latest) for v in versions} == {
        (first.version_id, "false"),
        (second.version_id, "true"),
    }


def test_listen_bucket_notification_is_not_implemented(s3: Minio) -> None:
    # MinIO's extension `GET /bucket?events=...` is answered as a ListObjects request, so
    # minio-py's listen_bucket_notification() gets XML, fails to parse it as JSON and
    # silently re-issues the request forever. The listen stream is tested against a double.
    response = s3._execute(
        "GET", BUCKET, query_params={"events": ["s3:ObjectCreated:*"], "prefix": "", "suffix": ""},
        preload_content=False,
    )  # fmt: skip
    try:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/xml"
        assert b"<ListBucketResult" in response.read()
    finally:
        response.close()
        response.release_conn()


# -- the event webhook target -----------------------------------------------------------


def test_webhook_put_object_event(
    s3_binary: Path, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    with S3Server(s3_binary, root=tmp_path / "s3").start(webhook_url=receiver.url) as server:
        # At start-up Versity POSTs a test event (and would exit if the URL refused).
        _, _, hello = receiver.wait_for(lambda body: body.get("Event") == "s3:TestEvent")
        assert hello["Service"] == "S3"
        assert "Records" not in hello
        client = server.client()
        client.make_bucket(bucket_name=BUCKET)

        put_bytes(client, AWKWARD_KEY, b"pixels")
        path, headers, body = receiver.wait_for(record_for("s3:ObjectCreated:Put", AWKWARD_KEY))

    assert path == "/hooks/s3"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert "Authorization" not in headers
    # No MinIO-style top-level "EventName"/"Key": just the records.
    assert list(body) == ["Records"]
    assert len(body["Records"]) == 1
    record = body["Records"][0]
    assert record["eventName"] == "s3:ObjectCreated:Put"
    assert record["eventSource"] == "aws:s3"
    assert record["s3"]["bucket"]["name"] == BUCKET
    # The key arrives decoded, exactly as uploaded (MinIO would send it URL-encoded).
    assert record["s3"]["object"]["key"] == AWKWARD_KEY
    assert record["s3"]["object"]["size"] == 6
    md5 = hashlib.md5(b"pixels").hexdigest()
    assert record["s3"]["object"]["eTag"] == f'"{md5}"'  # quoted, unlike listings
    assert record["userIdentity"]["PrincipalId"] == server.access_key
    datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%S%z")  # RFC 3339, whole seconds


def test_webhook_complete_multipart_upload_event(
    s3_binary: Path, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    key = "drone 7/videos/flight 1+2 ü.mp4"
    with S3Server(s3_binary, root=tmp_path / "s3").start(webhook_url=receiver.url) as server:
        client = server.client()
        client.make_bucket(bucket_name=BUCKET)

        result = put_bytes(client, key, b"\0" * (11 * MiB), part_size=5 * MiB)
        _, _, body = receiver.wait_for(record_for("s3:ObjectCreated:CompleteMultipartUpload", key))

    record = body["Records"][0]
    assert record["s3"]["bucket"]["name"] == BUCKET
    assert record["s3"]["object"]["key"] == key
    assert record["s3"]["object"]["eTag"] == f'"{result.etag}"'
    # Versity v1.8.0 reports "size": 0 for CompleteMultipartUpload: do not rely on it.
    # Parts (UploadPart) raise no events of their own: the upload is one event.
    for_key = [b for b in receiver.bodies() if b.get("Records") and
               b["Records"][0]["s3"]["object"]["key"] == key]  # fmt: skip
    assert [b["Records"][0]["eventName"] for b in for_key] == [
        "s3:ObjectCreated:CompleteMultipartUpload"
    ]


def test_webhook_events_are_lost_while_receiver_is_down(
    s3_binary: Path, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    # At most once: no retry and no queue. The bridge's catch-up listing must cover this.
    with S3Server(s3_binary, root=tmp_path / "s3").start(webhook_url=receiver.url) as server:
        client = server.client()
        client.make_bucket(bucket_name=BUCKET)
        port = receiver.port
        receiver.stop()

        put_bytes(client, "lost.jpg", b"1")
        deadline = time.monotonic() + EVENT_TIMEOUT
        while "failed to send webhook event" not in server.log_text():
            assert time.monotonic() < deadline, server.log_text()
            time.sleep(0.02)
        back = WebhookReceiver(port)
        try:
            put_bytes(client, "delivered.jpg", b"2")
            back.wait_for(record_for("s3:ObjectCreated:Put", "delivered.jpg"))
            keys = [b["Records"][0]["s3"]["object"]["key"] for b in back.bodies()]
        finally:
            back.stop()

    assert keys == ["delivered.jpg"]


def test_gateway_refuses_to_start_when_webhook_is_unreachable(
    s3_binary: Path, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    url = receiver.url
    receiver.stop()  # nothing listens on that port any more
    server = S3Server(s3_binary, root=tmp_path / "s3")

    with pytest.raises(RuntimeError, match="connection refused"):
        server.start(webhook_url=url)

    assert not server.running
