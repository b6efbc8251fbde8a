"""Where every source hands over its payloads: envelope, decision, durable commit.

`Ingest.accept` builds the event (one place, as Argo's adaptor does), evaluates it against its
trigger with the pure core, and journals event and decision together. It returns only after the
commit, so a source may acknowledge as soon as it has the `Recorded` answer (invariant 1).
"""

from __future__ import annotations

from typing import Any

import structlog

from bridge.clock import Clock
from bridge.config.model import Trigger
from bridge.evaluate import evaluate
from bridge.events import make_event
from bridge.journal import Recorded
from bridge.journal_async import AsyncJournal

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
        decision = evaluate(trigger, event)
        recorded = await self._journal.record(event, decision)
        bound = log.bind(
            event_id=event.id, trigger=trigger.name, source=source, workflow=recorded.workflow
        )
        if recorded.state == "failed":
            bound.warning("event_failed", reason=recorded.reason)
        elif recorded.state == "deduplicated":
            bound.info("event_deduplicated", duplicate_of=recorded.duplicate_of)
        else:
            bound.info("event_journaled")
        return recorded
