"""The dispatcher: journaled events → the Argo Server, each exactly once.

It claims due events from the journal, applies a schedule's overlap policy (``skip`` while a run
of the trigger is active, ``replace`` stops it first), submits the planned workflows with bounded
concurrency and a rate limit, and records each outcome: submitted (2xx or 409), retried later
with backoff (connection errors, timeouts, 429, 5xx; a 404 once, for the Argo Server's template
cache), or failed with the server's message. Without a client (dry-run) every event is logged
and marked ``dry-run``. `run_once` does one pass and `drain` loops until nothing is due, so tests
drive it without a running loop or real waiting.
"""

from __future__ import annotations

import asyncio
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from bridge.argo import ArgoClient
from bridge.backoff import next_delay
from bridge.clock import Clock
from bridge.config.model import SubmitSettings
from bridge.errors import PermanentSubmitError, RetryableSubmitError
from bridge.journal import JournalRow, Settlement
from bridge.journal_async import AsyncJournal

__all__ = ["Dispatcher", "PassResult"]

log = structlog.get_logger("bridge.dispatcher")
_IDLE_WAIT = 60.0  # seconds between journal checks when nothing is due; commits wake it sooner


@dataclass(frozen=True)
class PassResult:
    """What one pass did, by outcome."""

    submitted: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def handled(self) -> int:
        """Events this pass took from the journal."""
        return self.submitted + self.retried + self.failed + self.skipped


class _RateLimit:
    """A token bucket: at most `rate` starts per second, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int, clock: Clock) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._stamp = clock.monotonic()

    async def acquire(self) -> None:
        while True:
            now = self._clock.monotonic()
            self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now
            if self._tokens >= 1 - 1e-9:  # float error must not leave a sliver forever unpaid
                self._tokens = max(self._tokens - 1, 0.0)
                return
            await self._clock.sleep((1 - self._tokens) / self._rate)


class Dispatcher:
    """Submits journaled events. `client` None means dry-run."""

    def __init__(
        self,
        journal: AsyncJournal,
        client: ArgoClient | None,
        settings: SubmitSettings,
        clock: Clock,
        rng: random.Random | None = None,
    ) -> None:
        self._journal = journal
        self._client = client
        self._settings = settings
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._limit = _RateLimit(settings.rate_per_second, settings.concurrency, clock)
        self._executor = ThreadPoolExecutor(settings.concurrency, thread_name_prefix="submit")
        self._wake = asyncio.Event()
        self._settled: list[Settlement] = []
        journal.on_commit(self._wake.set)

    async def run_once(self) -> PassResult:
        """Claim what is due now and handle it; return the counts."""
        rows = await self._journal.call(
            self._journal.journal.claim_due, self._clock.now(), self._settings.concurrency * 8
        )
        if not rows:
            return PassResult()
        self._settled = []
        gate = asyncio.Semaphore(self._settings.concurrency)
        # Runs whose trigger has an overlap policy go one after another, in order, so that each
        # sees the one before it; everything else runs side by side.
        lanes: dict[str, list[JournalRow]] = {}
        for row in rows:
            lane = row.trigger if row.overlap != "allow" else row.id
            lanes.setdefault(lane, []).append(row)

        async def in_order(lane: list[JournalRow]) -> list[str]:
            outcomes = []
            for row in lane:
                async with gate:
                    outcomes.append(await self._handle(row))
            return outcomes

        try:
            results = await asyncio.gather(*(in_order(lane) for lane in lanes.values()))
        finally:
            # One commit records the whole pass. A crash before it only means resubmitting
            # names that exist: the server answers 409 and they count as submitted.
            settled, self._settled = self._settled, []
            await self._journal.call(self._journal.journal.settle, settled, self._clock.now())
        outcomes = [outcome for lane in results for outcome in lane]
        return PassResult(
            submitted=outcomes.count("submitted"),
            retried=outcomes.count("retried"),
            failed=outcomes.count("failed"),
            skipped=outcomes.count("skipped"),
        )

    async def drain(self) -> PassResult:
        """Run passes until nothing is due now; return the totals."""
        total = PassResult()
        while (result := await self.run_once()).handled:
            total = PassResult(
                total.submitted + result.submitted,
                total.retried + result.retried,
                total.failed + result.failed,
                total.skipped + result.skipped,
            )
        return total

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set; when idle, wait for a commit or the next due time."""
        while not stop.is_set():
            self._wake.clear()
            if (await self.run_once()).handled:
                continue
            next_due = await self._journal.call(self._journal.journal.next_due)
            wait = _IDLE_WAIT
            if next_due is not None:
                wait = max(0.0, min(wait, next_due - self._clock.now().timestamp()))
            waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
            try:
                await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    def close(self) -> None:
        """Wait for submissions in flight, then release the client."""
        self._executor.shutdown(wait=True)
        if self._client is not None:
            self._client.close()

    async def _handle(self, row: JournalRow) -> str:
        bound = log.bind(event_id=row.id, trigger=row.trigger, workflow=row.workflow)
        if self._client is None:
            self._settled.append(Settlement(row.id, "dry-run"))
            bound.info(
                "workflow_rendered_dry_run", template=row.template, parameters=dict(row.parameters)
            )
            return "submitted"
        await self._limit.acquire()
        loop = asyncio.get_running_loop()
        try:
            if row.overlap != "allow":
                blocking = await loop.run_in_executor(self._executor, self._overlap, row)
                if blocking is not None:
                    reason = f"skipped: workflow {blocking} of this trigger is still running"
                    self._settled.append(Settlement(row.id, "skipped", reason))
                    bound.info("run_skipped_overlap", active=blocking)
                    return "skipped"
            result = await loop.run_in_executor(
                self._executor, self._client.submit, row.submission()
            )
        except RetryableSubmitError as exc:
            return await self._retry_or_fail(row, str(exc), bound)
        except PermanentSubmitError as exc:
            if exc.status == 404 and row.attempts == 1:
                return await self._retry_or_fail(row, str(exc), bound)
            self._settled.append(Settlement(row.id, "failed", str(exc)))
            bound.error("submit_failed", attempts=row.attempts, error=str(exc))
            return "failed"
        self._settled.append(Settlement(row.id, "submitted"))
        event = "workflow_submitted" if result.created else "workflow_already_existed"
        bound.info(event, template=row.template, attempts=row.attempts)
        return "submitted"

    def _overlap(self, row: JournalRow) -> str | None:
        """Apply the overlap policy: name the run that blocks (skip), or stop them (replace)."""
        assert self._client is not None
        active = [n for n in self._client.active_workflows(row.trigger) if n != row.workflow]
        if not active:
            return None
        if row.overlap == "skip":
            return active[0]
        for name in active:
            self._client.stop(name)
            log.info("run_replaced", trigger=row.trigger, stopped=name, workflow=row.workflow)
        return None

    async def _retry_or_fail(
        self, row: JournalRow, error: str, bound: structlog.BoundLogger
    ) -> str:
        limit = self._settings.retry.max_attempts
        now = self._clock.now()
        if limit and row.attempts >= limit:
            reason = f"gave up after {row.attempts} attempts: {error}"
            self._settled.append(Settlement(row.id, "failed", reason))
            bound.error("submit_failed", attempts=row.attempts, error=reason)
            return "failed"
        delay = next_delay(self._settings.retry, row.attempts, self._rng)
        at: datetime = now + delay
        self._settled.append(Settlement(row.id, "received", error, at))
        bound.warning(
            "submit_retry_scheduled",
            attempts=row.attempts,
            retry_in=round(delay / timedelta(seconds=1), 3),
            error=error,
        )
        return "retried"
