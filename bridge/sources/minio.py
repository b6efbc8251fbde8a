"""The MinIO source: uploads from the listen stream, and a catch-up listing for what it missed.

`MinioListenSource` reads MinIO's ListenBucketNotification stream (minio-py, in a thread; the
records are handed to the event loop and journaled before the next one is read). On any error or
disconnect it reconnects with backoff; `up` says whether the stream is connected, for ``/readyz``.
Events sent while it was disconnected are gone from the stream, so every (re)connect asks the
catch-up for a pass. `MinioCatchup` lists the bucket under the prefix on start, on request and
every ``catchupInterval``, and journals each object version newer than the cursor (minus a margin)
that the trigger has not journaled yet. The cursor is a LastModified watermark plus the journal's
own record of what was seen, never a last key: overwritten and deleted keys cannot hide uploads.
The webhook way in (MinIO's webhook target) is served by `bridge.web`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import structlog
from minio import Minio

from bridge.backoff import next_delay
from bridge.clock import Clock
from bridge.config.minio import MinioSettings, MinioSource
from bridge.config.model import RetrySettings, Trigger
from bridge.events import minio_data, upload_key
from bridge.ingest import Ingest
from bridge.journal_async import AsyncJournal
from bridge.sources.minio_records import matches, record_from_listing, records_from_listen

__all__ = ["MinioCatchup", "MinioListenSource", "make_client"]

log = structlog.get_logger("bridge.minio")
MARGIN: Final = timedelta(minutes=5)  # listings are rescanned this far behind the cursor
_RECONNECT = RetrySettings(initial_delay=timedelta(seconds=1), max_delay=timedelta(seconds=30))
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def make_client(settings: MinioSettings) -> Minio:
    """Build a minio-py client from the settings (keyword arguments, as minio-py 8 requires)."""
    return Minio(
        endpoint=settings.endpoint,
        access_key=settings.access_key.get_secret_value(),
        secret_key=settings.secret_key.get_secret_value(),
        secure=settings.secure,
        region=settings.region,
    )


class StreamStoppedError(Exception):
    """The bridge is shutting down; the listen stream ends."""


def _stopped() -> None:
    raise StreamStoppedError


class MinioCatchup:
    """Finds uploads the bridge did not hear about, by listing the bucket."""

    def __init__(
        self,
        trigger: Trigger,
        client: Callable[[], Minio],
        ingest: Ingest,
        journal: AsyncJournal,
        clock: Clock,
    ) -> None:
        assert trigger.on.minio is not None
        self.trigger = trigger
        self.spec: MinioSource = trigger.on.minio
        self._client = client
        self._ingest = ingest
        self._journal = journal
        self._clock = clock
        self.requested = asyncio.Event()

    async def run_once(self) -> int:
        """List once; journal what is new; return how many uploads were found."""
        journal = self._journal.journal
        cursor = await self._journal.call(journal.cursor, self.trigger.name)
        if cursor is None and self.spec.catchup == "new":
            # Scans start MARGIN behind the stored watermark, so the first watermark is set
            # MARGIN ahead: nothing uploaded before this run's second is ever taken. (Whole
            # seconds, as some servers list LastModified: an upload later in this same second
            # must not fall behind the watermark for good.)
            now = self._clock.now().replace(microsecond=0)
            log.info("catchup_started", trigger=self.trigger.name, since=now.isoformat())
            await self._journal.record_batch([], (self.trigger.name, now + MARGIN))
            return 0
        since = (cursor or _EPOCH) - MARGIN
        found = await asyncio.to_thread(self._list, since)
        keys = [upload_key(record) for record, _ in found]
        seen = await self._journal.call(journal.seen_keys, self.trigger.name, keys)
        new = [record for (record, _), key in zip(found, keys, strict=True) if key not in seen]
        newest = max((when for _, when in found), default=cursor or _EPOCH)
        moved = max(newest, cursor) if cursor is not None else newest
        if new or moved != cursor:
            datas = [minio_data(record) for record in new]
            await self._ingest.accept_batch("minio", self.trigger, datas, moved)
        if new:
            log.info("catchup_found", trigger=self.trigger.name, uploads=len(new))
        return len(new)

    def _list(self, since: datetime) -> list[tuple[dict[str, Any], datetime]]:
        client = self._client()
        found = []
        listing = client.list_objects(
            bucket_name=self.spec.bucket,
            prefix=self.spec.prefix or None,
            recursive=True,
            include_version=True,
        )
        for obj in listing:
            name = obj.object_name or ""
            when = obj.last_modified
            if (
                obj.is_delete_marker
                or when is None
                or when < since
                or not name.endswith(self.spec.suffix)
            ):
                continue
            record = record_from_listing(
                self.spec.bucket,
                key=name,
                etag=obj.etag or "",
                size=obj.size or 0,
                last_modified=when,
                version_id=obj.version_id,
            )
            found.append((record, when))
        found.sort(key=lambda item: item[1])
        return found

    async def run(self, stop: asyncio.Event) -> None:
        """Catch up now, then every interval or when asked, until `stop` is set."""
        interval = self.spec.catchup_interval.total_seconds()
        while not stop.is_set():
            self.requested.clear()
            try:
                await self.run_once()
            except Exception as exc:
                log.warning("catchup_failed", trigger=self.trigger.name, error=str(exc))
            waiters = {
                asyncio.ensure_future(stop.wait()),
                asyncio.ensure_future(self.requested.wait()),
            }
            try:
                await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()


class MinioListenSource:
    """Reads MinIO's listen stream for one trigger and journals each matching upload."""

    kind = "minio"

    def __init__(
        self,
        trigger: Trigger,
        client: Callable[[], Minio],
        ingest: Ingest,
        on_connect: Callable[[], None],
        rng: random.Random | None = None,
    ) -> None:
        assert trigger.on.minio is not None
        self.trigger = trigger
        self.spec: MinioSource = trigger.on.minio
        self._client = client
        self._ingest = ingest
        self._on_connect = on_connect
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.up = False
        self._stream: Any = None
        self._lock = threading.Lock()
        # a thread of its own: a blocked stream must not hold one of the loop's shared workers
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"listen-{trigger.name}")

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set, reconnecting with backoff after any failure."""
        loop = asyncio.get_running_loop()
        failures = 0
        stopper = asyncio.ensure_future(self._close_on(stop))
        try:
            while not stop.is_set():
                try:
                    await loop.run_in_executor(self._thread, self._listen, loop, stop)
                    failures = 0
                except Exception as exc:
                    failures += 1
                    if not stop.is_set():
                        log.warning(
                            "listen_stream_down", trigger=self.trigger.name, error=str(exc)[:300]
                        )
                finally:
                    self.up = False
                delay = next_delay(_RECONNECT, max(failures, 1), self._rng).total_seconds()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
        finally:
            stopper.cancel()
            self._thread.shutdown(wait=False)

    async def _close_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        with self._lock:
            if self._stream is not None:
                # minio-py reconnects through `_func` when its response closes; make that end
                # the iteration instead, then close the response to unblock the reading thread.
                self._stream._func = _stopped
                self._stream.__exit__(None, None, None)

    def _listen(self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
        stream = self._client().listen_bucket_notification(
            bucket_name=self.spec.bucket,
            prefix=self.spec.prefix,
            suffix=self.spec.suffix,
            events=self.spec.events,
        )
        # minio-py opens (and silently re-opens, after a clean end of stream) the connection
        # through `_func`; wrapping it is the only way to see each (re)connect, after which the
        # catch-up must look for what the gap swallowed. Pinned: minio>=7.2,<8.
        request = stream._func

        def connect() -> Any:
            response = request()
            self.up = True
            log.info("listen_stream_connected", trigger=self.trigger.name)
            loop.call_soon_threadsafe(self._on_connect)
            return response

        stream._func = connect
        with self._lock:
            self._stream = stream
        try:
            with stream:
                for message in stream:
                    if stop.is_set():
                        return
                    self._hand_over(loop, message)
        finally:
            with self._lock:
                self._stream = None

    def _hand_over(self, loop: asyncio.AbstractEventLoop, message: dict[str, Any]) -> None:
        for record in records_from_listen(message):
            if not matches(self.spec, record):
                continue
            accepted = asyncio.run_coroutine_threadsafe(
                self._ingest.accept("minio", self.trigger, minio_data(record)), loop
            )
            accepted.result()  # journaled before the next record is read
