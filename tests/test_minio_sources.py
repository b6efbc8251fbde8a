"""MinIO uploads start workflows: the listen stream (against a stream double) and, against a real
S3 server (Versity Gateway, see scripts/install-s3-server), catch-up listings and webhook delivery.
"""

from __future__ import annotations

import asyncio
import io
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from minio import Minio

from bridge.clock import SystemClock
from bridge.config.load import load_config
from bridge.config.model import Trigger
from bridge.daemon import Daemon
from bridge.ingest import Ingest
from bridge.journal import Journal
from bridge.journal_async import AsyncJournal
from bridge.sources.minio import MinioCatchup, MinioListenSource
from bridge.testing import FakeClock
from tests.argo_double import ArgoDouble
from tests.conftest import eventually
from tests.minio_listen_double import MinioListenDouble, record
from tests.s3_server import S3Server, free_port, require_s3_server_binary

KEYS = ["flights/f1/img 1.jpg", "flights/f1/a+b%20c.jpg", "flights/ünï/€ 2.jpg", "flights/x/y/z/deep.jpg"]

CONFIG = """
argo:
  server: {argo}
  token: test-token
http:
  listen: 127.0.0.1:{port}
state:
  path: {state}
minio:
  endpoint: {endpoint}
  accessKey: {access}
  secretKey: {secret}
  secure: false
  region: us-east-1
triggers:
  - name: drone-photos
    on:
      minio:
        bucket: raw
        prefix: flights/
        suffix: .jpg
        events: [put, complete-multipart]
        delivery: {delivery}
{extra}
        catchup: {catchup}
    workflowTemplate: drone-pipeline
    parameters:
      - {{name: bucket, from: notification.0.s3.bucket.name}}
      - {{name: key, from: notification.0.s3.object.key}}
"""
WEBHOOK = """        webhook:
          auth: none
        keyEncoding: plain   # Versity Gateway sends keys as stored"""


def write(tmp_path: Path, **values: Any) -> Path:
    values = {"argo": "", "port": 0, "endpoint": "127.0.0.1:1", "access": "a", "secret": "b",
              "delivery": "listen", "extra": "", "catchup": "new", "state": tmp_path / "state.db", **values}
    path = tmp_path / "bridge.yaml"
    path.write_text(CONFIG.format(**values))
    return path


def keys_of(journal: Journal) -> list[str]:
    """The keys of the uploads journaled to run (a repeat of the same upload is deduplicated)."""
    rows = journal.history(limit=10_000)
    return sorted(r.data["notification"][0]["s3"]["object"]["key"] for r in rows if r.state != "deduplicated")


# --- the listen stream, against the stream double -----------------------------------------


@pytest.fixture
def stream() -> Iterator[MinioListenDouble]:
    double = MinioListenDouble().start()
    yield double
    double.stop()


@pytest.fixture
async def listening(tmp_path: Path, stream: MinioListenDouble) -> AsyncIterator[dict[str, Any]]:
    trigger: Trigger = load_config(write(tmp_path), environ={}).config.triggers[0]
    clock = FakeClock()
    journal = AsyncJournal(Journal.open(tmp_path / "state.db"), clock)
    journal.start()
    connects: list[int] = []

    def client() -> Minio:
        return Minio(stream.endpoint, access_key="a", secret_key="b", secure=False, region="us-east-1")

    listener = MinioListenSource(trigger, client, Ingest(journal, clock), lambda: connects.append(1))
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(stop))
    reader = Journal.open(tmp_path / "state.db")  # its own connection: the writer's is its thread's
    yield {"listener": listener, "journal": reader, "connects": connects, "stop": stop}
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    reader.close()
    await journal.close()


async def test_listen_stream_journals_matching_uploads(listening: dict, stream: MinioListenDouble) -> None:
    await asyncio.to_thread(stream.wait_for_connects, 1)
    for i, key in enumerate(KEYS):
        stream.push(record("raw", key, f"etag{i}"))
    stream.push(record("raw", "flights/f1/readme.txt", "t"))  # filtered out by the server side
    journal: Journal = listening["journal"]
    await eventually(lambda: sum(journal.counts().values()) == len(KEYS))
    assert keys_of(journal) == sorted(KEYS)
    assert listening["listener"].up


async def test_listen_stream_comes_back_and_asks_for_catch_up(
    listening: dict, stream: MinioListenDouble
) -> None:
    await asyncio.to_thread(stream.wait_for_connects, 1)
    stream.disconnect()
    assert await asyncio.to_thread(stream.wait_for_connects, 2)
    await eventually(lambda: len(listening["connects"]) >= 2)
    stream.push(record("raw", "flights/after.jpg", "e"))
    journal: Journal = listening["journal"]
    await eventually(lambda: keys_of(journal) == ["flights/after.jpg"])


async def test_listen_stream_down_is_reported_and_retried(tmp_path: Path) -> None:
    trigger: Trigger = load_config(write(tmp_path), environ={}).config.triggers[0]
    clock = FakeClock()
    journal = AsyncJournal(Journal.open(tmp_path / "state.db"), clock)
    journal.start()
    port = free_port()  # nothing listens here

    def client() -> Minio:
        return Minio(f"127.0.0.1:{port}", access_key="a", secret_key="b", secure=False, region="us-east-1")

    listener = MinioListenSource(trigger, client, Ingest(journal, clock), lambda: None)
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(stop))
    await asyncio.sleep(0)  # let it try
    stop.set()
    await asyncio.wait_for(task, timeout=30)
    assert not listener.up
    await journal.close()


# --- a real S3 server --------------------------------------------------------------------


@pytest.fixture
def s3() -> Iterator[S3Server]:
    server = S3Server(binary=require_s3_server_binary())
    yield server
    server.close()


@pytest.fixture
def argo() -> Iterator[ArgoDouble]:
    double = ArgoDouble(token="test-token").start()
    double.add_template("drone-pipeline", parameters=[{"name": "bucket"}, {"name": "key"}])
    yield double
    double.stop()


def upload(client: Minio, key: str, data: bytes = b"photo") -> None:
    client.put_object(bucket_name="raw", object_name=key, data=io.BytesIO(data), length=len(data))


async def test_catch_up_lists_a_real_bucket_once_per_upload(tmp_path: Path, s3: S3Server) -> None:
    s3.start()
    client = s3.client()
    client.make_bucket(bucket_name="raw")
    config = write(tmp_path, endpoint=s3.endpoint, access=s3.access_key, secret=s3.secret_key, catchup="all")
    trigger = load_config(config, environ={}).config.triggers[0]
    clock = SystemClock()  # listings carry the server's times: compare them with real ones
    journal = AsyncJournal(Journal.open(tmp_path / "state.db"), clock)
    journal.start()
    catchup = MinioCatchup(trigger, s3.client, Ingest(journal, clock), journal, clock)
    try:
        for key in KEYS:
            upload(client, key)
        upload(client, "flights/notes.txt")
        upload(client, "elsewhere/x.jpg")
        assert await catchup.run_once() == len(KEYS)
        assert await catchup.run_once() == 0  # seen already
        upload(client, KEYS[0], b"new content")  # the same key uploaded again: a new upload
        assert await catchup.run_once() == 1
        assert keys_of(journal.journal) == sorted([*KEYS, KEYS[0]])
    finally:
        await journal.close()


class FakeObject:
    def __init__(self, name: str, when: datetime, etag: str = "e", version: str | None = None) -> None:
        self.object_name, self.last_modified, self.etag = name, when, etag
        self.size, self.version_id, self.is_delete_marker = 1, version, False


class FakeLister:
    def __init__(self) -> None:
        self.objects: list[FakeObject] = []

    def list_objects(self, **_: Any) -> list[FakeObject]:
        return list(self.objects)


async def test_catch_up_new_starts_at_the_first_run(tmp_path: Path) -> None:
    trigger = load_config(write(tmp_path, catchup="new"), environ={}).config.triggers[0]
    clock = FakeClock(datetime(2026, 6, 1, 12, 0, 0, 500_000, tzinfo=UTC))
    lister = FakeLister()
    lister.objects.append(FakeObject("flights/history.jpg", datetime(2026, 6, 1, 11, 59, 59, tzinfo=UTC)))
    journal = AsyncJournal(Journal.open(tmp_path / "state.db"), clock)
    journal.start()
    catchup = MinioCatchup(trigger, lambda: lister, Ingest(journal, clock), journal, clock)  # type: ignore[arg-type, return-value]
    try:
        assert await catchup.run_once() == 0
        # listed in whole seconds: an upload later in the first run's second still counts
        lister.objects.append(FakeObject("flights/same-second.jpg", datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)))
        lister.objects.append(FakeObject("flights/later.jpg", datetime(2026, 6, 1, 13, 0, tzinfo=UTC)))
        assert await catchup.run_once() == 2
        # a late-listed object older than the watermark but within the margin is still found
        lister.objects.append(FakeObject("flights/late.jpg", datetime(2026, 6, 1, 12, 58, tzinfo=UTC)))
        assert await catchup.run_once() == 1
        assert keys_of(journal.journal) == ["flights/late.jpg", "flights/later.jpg", "flights/same-second.jpg"]
    finally:
        await journal.close()


async def test_webhook_delivery_and_restart_during_100_uploads(
    tmp_path: Path, s3: S3Server, argo: ArgoDouble
) -> None:
    port = free_port()
    config = write(
        tmp_path, argo=argo.url, port=port, endpoint=s3.endpoint, access=s3.access_key,
        secret=s3.secret_key, delivery="webhook", extra=WEBHOOK,
    )
    loaded = load_config(config, environ={})

    async def start_bridge() -> tuple[Daemon, asyncio.Task[None]]:
        daemon = Daemon(loaded)
        task = asyncio.create_task(daemon.serve())
        await daemon.started.wait()
        return daemon, task

    daemon, task = await start_bridge()
    # Versity posts a test event at start-up and refuses to start if nobody listens: bridge first
    await asyncio.to_thread(
        s3.start,
        webhook_url=f"http://127.0.0.1:{port}/hooks/minio/drone-photos",
        event_filter=["s3:ObjectCreated:Put", "s3:ObjectCreated:CompleteMultipartUpload"],
    )
    client = s3.client()
    await asyncio.to_thread(client.make_bucket, bucket_name="raw")
    for key in KEYS:
        await asyncio.to_thread(upload, client, key)
    big = b"x" * (11 * 1024 * 1024)
    await asyncio.to_thread(
        client.put_object, bucket_name="raw", object_name="flights/big/multi part.jpg",
        data=io.BytesIO(big), length=len(big), part_size=5 * 1024 * 1024,
    )
    await asyncio.to_thread(upload, client, "flights/f1/readme.txt")  # filtered out
    expected = sorted([*KEYS, "flights/big/multi part.jpg"])
    await eventually(lambda: argo.submit_count() == len(expected), timeout=30)
    assert sorted(_keys(argo)) == expected

    daemon.stop.set()
    await task
    later = [f"flights/burst/{i:03d} photo+{i}.jpg" for i in range(100)]
    for key in later:  # the bridge is down: Versity's webhook loses these (it has no queue)
        await asyncio.to_thread(upload, client, key)
    daemon, task = await start_bridge()  # catch-up on start lists the bucket
    try:
        await eventually(lambda: argo.submit_count() == len(expected) + 100, timeout=60)
    finally:
        daemon.stop.set()
        await task
    names = Counter(w["metadata"]["name"] for w in argo.submissions)
    assert max(names.values()) == 1
    assert sorted(_keys(argo)) == sorted([*expected, *later])


def _keys(argo: ArgoDouble) -> list[str]:
    return [
        p["value"]
        for w in argo.submissions
        for p in w["spec"]["arguments"]["parameters"]
        if p["name"] == "key"
    ]


async def test_readyz_reports_the_listen_stream(tmp_path: Path, stream: MinioListenDouble) -> None:
    import httpx

    port = free_port()
    loaded = load_config(write(tmp_path, port=port, endpoint=stream.endpoint, catchup="none"), environ={})
    daemon = Daemon(loaded)
    task = asyncio.create_task(daemon.serve())
    await daemon.started.wait()
    try:
        assert await asyncio.to_thread(stream.wait_for_connects, 1)
        stream.push(record("raw", "flights/a.jpg", "e"))
        journal = Journal.open(tmp_path / "state.db")
        try:
            await eventually(lambda: sum(journal.counts().values()) == 1)
        finally:
            journal.close()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            ready = (await http.get("/readyz")).json()
        assert ready["streams"] == {"drone-photos": "up"}
    finally:
        daemon.stop.set()
        await asyncio.wait_for(task, timeout=15)


async def test_stream_restart_mid_flight_then_catch_up_fills_the_gap(
    tmp_path: Path, s3: S3Server, stream: MinioListenDouble
) -> None:
    """The listen stream (the double) drops; uploads made in the gap (real server) are found."""
    s3.start()
    client = s3.client()
    client.make_bucket(bucket_name="raw")
    config = write(tmp_path, endpoint=s3.endpoint, access=s3.access_key, secret=s3.secret_key, catchup="new")
    trigger = load_config(config, environ={}).config.triggers[0]
    clock = SystemClock()
    journal = AsyncJournal(Journal.open(tmp_path / "state.db"), clock)
    journal.start()
    ingest = Ingest(journal, clock)
    catchup = MinioCatchup(trigger, s3.client, ingest, journal, clock)

    def listen_client() -> Minio:
        return Minio(stream.endpoint, access_key="a", secret_key="b", secure=False, region="us-east-1")

    listener = MinioListenSource(trigger, listen_client, ingest, catchup.requested.set)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(catchup.run(stop)), asyncio.create_task(listener.run(stop))]
    reader = Journal.open(tmp_path / "state.db")  # its own connection: the writer's is its thread's
    try:
        assert await asyncio.to_thread(stream.wait_for_connects, 1)
        await eventually(lambda: reader.cursor("drone-photos") is not None)
        await asyncio.to_thread(upload, client, "flights/live.jpg")
        etag = (await asyncio.to_thread(client.stat_object, bucket_name="raw", object_name="flights/live.jpg")).etag
        stream.push(record("raw", "flights/live.jpg", etag or ""))  # heard live
        await eventually(lambda: keys_of(reader) == ["flights/live.jpg"])
        stream.down = True  # MinIO restarts: what is uploaded now is never streamed
        stream.disconnect()
        gap = [f"flights/gap/{i}.jpg" for i in range(5)]
        for key in gap:
            await asyncio.to_thread(upload, client, key)
        stream.down = False
        assert await asyncio.to_thread(stream.wait_for_connects, 2)
        await eventually(lambda: keys_of(reader) == sorted(["flights/live.jpg", *gap]))
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=15)
        reader.close()
        await journal.close()
