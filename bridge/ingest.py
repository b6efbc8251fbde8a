"""Where every source hands over its payloads: envelope, decision, durable commit.

`Ingest.accept` builds the event (one place, as Argo's adaptor does), evaluates it against its
trigger with the pure core, and journals event and decision together. It returns only after the
commit, so a source may acknowledge as soon as it has the `Recorded` answer (invariant 1).
`accept_ticks` does the same for a schedule's due ticks, moving the schedule's cursor in the same
commit, so a crash can neither lose a tick nor run one twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog

from bridge.clock import Clock
from bridge.config.model import Trigger
from bridge.evaluate import SCHEDULE_SOURCE, Decision, Skip, evaluate, tick_name
from bridge.events import Event, calendar_data, make_event
from bridge.journal import Recorded
from bridge.journal_async import AsyncJournal
from bridge.ticks import TickPlan

__all__ = ["Ingest"]

log = structlog.get_logger("bridge.ingest")


class Ingest:
    """Accepts payloads from sources and journals them."""

    def __init__(self, journal: AsyncJournal, clock: Clock) -> None:
        self._journal = journal
        self._clock = clock

    async def accept(self, source: str, trigger: Trigger, data: dict[str, Any]) -> Recorded:
        """Journal `data` as an event of `trigger`; return what the journal made of it.

        Raises:
            JournalError: the event could not be committed and must not be acknowledged.
        """
        event = make_event(source, trigger.name, data, self._clock)
        recorded = await self._journal.record(event, evaluate(trigger, event))
        _log(recorded, trigger.name, source)
        return recorded

    async def accept_batch(
        self,
        source: str,
        trigger: Trigger,
        datas: list[dict[str, Any]],
        cursor: datetime | None = None,
    ) -> list[Recorded]:
        """Journal several payloads (and move the trigger's cursor) in one commit."""
        entries: list[tuple[Event, Decision]] = []
        for data in datas:
            event = make_event(source, trigger.name, data, self._clock)
            entries.append((event, evaluate(trigger, event)))
        moved = (trigger.name, cursor) if cursor is not None else None
        recorded = await self._journal.record_batch(entries, moved)
        for result in recorded:
            _log(result, trigger.name, source)
        return recorded

    async def accept_ticks(self, trigger: Trigger, plan: TickPlan) -> list[Recorded]:
        """Journal a schedule's due ticks (to run, or missed) and its new cursor in one commit."""
        spec = trigger.on.schedule
        assert spec is not None
        entries: list[tuple[Event, Decision]] = []
        runs = [(tick, None) for tick in plan.fire] + list(plan.missed)
        for tick, missed_reason in sorted(runs, key=lambda run: run[0]):
            data = calendar_data(tick, spec.user_payload)
            event = make_event(SCHEDULE_SOURCE, trigger.name, data, self._clock)
            decision = evaluate(trigger, event)
            if missed_reason is not None:
                key = str(int(tick.timestamp()))
                decision = Skip("missed", missed_reason, key, tick_name(trigger.name, tick))
            entries.append((event, decision))
        recorded = await self._journal.record_batch(entries, (trigger.name, plan.cursor))
        for result in recorded:
            _log(result, trigger.name, SCHEDULE_SOURCE)
        return recorded


def _log(recorded: Recorded, trigger: str, source: str) -> None:
    bound = log.bind(
        event_id=recorded.event_id, trigger=trigger, source=source, workflow=recorded.workflow
    )
    if recorded.state == "failed":
        bound.warning("event_failed", reason=recorded.reason)
    elif recorded.state == "missed":
        bound.warning("tick_missed", reason=recorded.reason)
    elif recorded.state == "deduplicated":
        bound.info("event_deduplicated", duplicate_of=recorded.duplicate_of)
    else:
        bound.info("event_journaled")
