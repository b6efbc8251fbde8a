"""The journal on the event loop: one thread owns SQLite, and commits are grouped.

Sources call `AsyncJournal.record` and get their answer only after the commit that holds their
event. While one commit is on disk, new events gather; the next commit takes them all, so under
load many acknowledgements share one fsync and none goes out before its own commit. Every other
journal call runs on the same thread, in order, so SQLite sees a single writer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import ParamSpec, TypeVar

from bridge.clock import Clock
from bridge.evaluate import Decision
from bridge.events import Event
from bridge.journal import Journal, Recorded

__all__ = ["AsyncJournal"]

P = ParamSpec("P")
T = TypeVar("T")


class AsyncJournal:
    """Asynchronous front of a `Journal`; start with `start()`, stop with `close()`."""

    def __init__(self, journal: Journal, clock: Clock, max_batch: int = 512) -> None:
        self.journal = journal
        self._clock = clock
        self._max_batch = max_batch
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        self._pending: list[tuple[Event, Decision, asyncio.Future[Recorded]]] = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[], None]] = []
        self._closing = False

    def start(self) -> None:
        """Start the group-commit writer task on the running loop."""
        self._writer = asyncio.create_task(self._write_loop(), name="journal-writer")

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every commit of new events (the dispatcher's wake-up)."""
        self._listeners.append(listener)

    async def record(self, event: Event, decision: Decision) -> Recorded:
        """Journal one event; return once it is committed.

        Raises:
            JournalError: the commit failed; the event was not accepted.
        """
        future: asyncio.Future[Recorded] = asyncio.get_running_loop().create_future()
        self._pending.append((event, decision, future))
        self._wake.set()
        return await future

    async def record_batch(
        self, entries: list[tuple[Event, Decision]], cursor: tuple[str, datetime] | None = None
    ) -> list[Recorded]:
        """Journal several events (and move a schedule cursor) in one commit of their own."""
        results = await self.call(self.journal.record, entries, self._clock.now(), cursor)
        for listener in self._listeners:
            listener()
        return results

    async def call(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a `Journal` method on the journal's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: function(*args, **kwargs))

    async def _write_loop(self) -> None:
        while True:
            if not self._pending:
                if self._closing:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            await self._commit(batch)

    async def _commit(self, batch: list[tuple[Event, Decision, asyncio.Future[Recorded]]]) -> None:
        entries = [(event, decision) for event, decision, _ in batch]
        try:
            results = await self.call(self.journal.record, entries, self._clock.now())
        except Exception as exc:
            for *_, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (*_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
        for listener in self._listeners:
            listener()

    async def close(self) -> None:
        """Commit what is pending, stop the writer and close the database."""
        self._closing = True
        self._wake.set()
        if self._writer is not None:
            await self._writer
        await self.call(self.journal.close)
        self._executor.shutdown(wait=True)
