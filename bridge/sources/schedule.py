"""The schedule source: turns cron ticks into journaled events, exactly once per tick.

Each schedule trigger runs one `ScheduleSource`. A pass reads the trigger's cursor from the
journal, plans the ticks in (cursor, now] with the pure `bridge.ticks.plan_ticks` (catch-up
window and policy), and journals them with the new cursor in one commit; the dispatcher then
submits them as ``<trigger>-<unix seconds>``, so a tick fires once whatever restarts happen. On
the very first run the cursor starts at now: a new trigger does not replay its history. A paused
or suspended trigger moves its cursor without running anything: paused ticks are not caught up.
APScheduler's cron triggers compute the times; the loop is ours so that the clock is injected and
the cursor lives in the journal, not in a scheduler's job store.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from bridge.clock import Clock
from bridge.config.model import Trigger
from bridge.ingest import Ingest
from bridge.journal import Recorded
from bridge.journal_async import AsyncJournal
from bridge.ticks import next_ticks, plan_ticks

__all__ = ["ScheduleSource"]

log = structlog.get_logger("bridge.schedule")
_MAX_WAIT = 60.0  # re-check at least this often (seconds): the wall clock may jump


class ScheduleSource:
    """Fires one schedule trigger."""

    kind = "schedule"

    def __init__(
        self, trigger: Trigger, ingest: Ingest, journal: AsyncJournal, clock: Clock
    ) -> None:
        if trigger.on.schedule is None:
            raise ValueError(f"trigger {trigger.name!r} has no schedule")
        self.trigger = trigger
        self.spec = trigger.on.schedule
        self._ingest = ingest
        self._journal = journal
        self._clock = clock

    async def run_once(self) -> list[Recorded]:
        """Handle every tick that is due now; return what was journaled."""
        now = self._clock.now()
        journal = self._journal.journal
        cursor = await self._journal.call(journal.cursor, self.trigger.name)
        paused = self.spec.suspend or self.trigger.name in await self._journal.call(journal.paused)
        if cursor is None or paused:
            if cursor is None:
                log.info("schedule_started", trigger=self.trigger.name, cursor=now.isoformat())
            await self._journal.record_batch([], (self.trigger.name, now))
            return []
        plan = plan_ticks(self.spec, cursor, now)
        if not plan.fire and not plan.missed:
            return []
        if plan.truncated:
            log.warning("ticks_truncated", trigger=self.trigger.name, kept=len(plan.missed))
        return await self._ingest.accept_ticks(self.trigger, plan)

    async def run(self, stop: asyncio.Event) -> None:
        """Run passes at each tick until `stop` is set."""
        while not stop.is_set():
            await self.run_once()
            now = self._clock.now()
            upcoming = next_ticks(self.spec, now, 1)
            if not upcoming:
                return
            wait = min(max((upcoming[0] - now).total_seconds(), 0.0), _MAX_WAIT)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
