"""The journal: durable rows, dedup by live key, attempts counted at claim, survives reopening."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bridge.config.model import Trigger
from bridge.errors import JournalError
from bridge.evaluate import Failure, evaluate
from bridge.events import make_event, webhook_data
from bridge.journal import SCHEMA_VERSION, Journal, Settlement
from bridge.testing import FakeClock
from tests.helpers import loaded


@pytest.fixture
def onboarding(tmp_path: Path) -> Trigger:
    trigger = loaded(tmp_path).config.trigger("onboarding")
    assert trigger is not None
    return trigger


def entry(trigger: Trigger, request_id: str, clock: FakeClock, email: str | None = "a@b") -> tuple:
    body = {"employee": {"email": email}} if email else {}
    ev = make_event(
        "webhook", trigger.name, webhook_data([("X-Request-Id", request_id)], body), clock
    )
    return ev, evaluate(trigger, ev)


def test_record_then_claim_then_submit(tmp_path: Path, onboarding: Trigger) -> None:
    clock = FakeClock()
    journal = Journal.open(tmp_path / "j.db")
    [recorded] = journal.record([entry(onboarding, "r1", clock)], clock.now())
    assert recorded.state == "received"
    [row] = journal.claim_due(clock.now(), 10)
    assert row.id == recorded.event_id
    assert row.attempts == 1
    assert row.submission().parameters == (("email", "a@b"), ("source", "hr-portal"))
    journal.settle([Settlement(row.id, "submitted")], clock.now())
    assert journal.claim_due(clock.now(), 10) == []
    stored = journal.get(row.id)
    assert stored is not None
    assert (stored.state, stored.attempts) == ("submitted", 1)


def test_same_key_is_deduplicated_while_live(tmp_path: Path, onboarding: Trigger) -> None:
    clock = FakeClock()
    journal = Journal.open(tmp_path / "j.db")
    first, second = journal.record(
        [entry(onboarding, "r1", clock), entry(onboarding, "r1", clock)], clock.now()
    )
    assert second.state == "deduplicated"
    assert second.duplicate_of == first.event_id
    assert second.workflow == first.workflow
    assert len(journal.claim_due(clock.now(), 10)) == 1


def test_a_failed_original_does_not_block_a_resend(tmp_path: Path, onboarding: Trigger) -> None:
    clock = FakeClock()
    journal = Journal.open(tmp_path / "j.db")
    [first] = journal.record([entry(onboarding, "r1", clock)], clock.now())
    journal.settle([Settlement(first.event_id, "failed", "400 from Argo")], clock.now())
    [again] = journal.record([entry(onboarding, "r1", clock)], clock.now())
    assert again.state == "received"


def test_failed_decisions_are_recorded_with_reason(tmp_path: Path, onboarding: Trigger) -> None:
    clock = FakeClock()
    journal = Journal.open(tmp_path / "j.db")
    ev, decision = entry(onboarding, "r1", clock, email=None)
    assert isinstance(decision, Failure)
    [recorded] = journal.record([(ev, decision)], clock.now())
    assert recorded.state == "failed"
    [row] = journal.history(state="failed")
    assert row.last_error == decision.reason
    assert row.data["header"] == {"X-Request-Id": ["r1"]}


def test_retry_later_and_next_due(tmp_path: Path, onboarding: Trigger) -> None:
    clock = FakeClock()
    journal = Journal.open(tmp_path / "j.db")
    journal.record([entry(onboarding, "r1", clock)], clock.now())
    [row] = journal.claim_due(clock.now(), 10)
    journal.settle(
        [Settlement(row.id, "received", "503", clock.now() + timedelta(seconds=30))], clock.now()
    )
    assert journal.claim_due(clock.now(), 10) == []
    assert journal.next_due() == (clock.now() + timedelta(seconds=30)).timestamp()
    clock.advance(30)
    [again] = journal.claim_due(clock.now(), 10)
    assert (again.attempts, again.last_error) == (2, "503")


def test_rows_survive_reopening(tmp_path: Path, onboarding: Trigger) -> None:
    clock = FakeClock()
    journal = Journal.open(tmp_path / "j.db")
    journal.record([entry(onboarding, f"r{i}", clock) for i in range(5)], clock.now())
    journal.claim_due(clock.now(), 2)  # claimed, then the process "dies"
    journal.close()
    reopened = Journal.open(tmp_path / "j.db")
    rows = reopened.claim_due(clock.now(), 10)
    assert len(rows) == 5
    assert sorted(r.attempts for r in rows) == [1, 1, 1, 2, 2]
    assert reopened.counts()["received"] == 5


def test_history_filters_newest_first(tmp_path: Path, onboarding: Trigger) -> None:
    clock = FakeClock()
    journal = Journal.open(tmp_path / "j.db")
    recorded = journal.record([entry(onboarding, f"r{i}", clock) for i in range(3)], clock.now())
    assert [r.id for r in journal.history(limit=2)] == [recorded[2].event_id, recorded[1].event_id]
    assert journal.history(trigger="other") == []


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    Journal.open(tmp_path / "j.db").close()
    import sqlite3

    db = sqlite3.connect(tmp_path / "j.db")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(JournalError, match="newer trigger-bridge"):
        Journal.open(tmp_path / "j.db")


def test_unopenable_path(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(JournalError, match="cannot open the journal"):
        Journal.open(tmp_path / "dir.db")
