"""The dispatcher, driven pass by pass with a fake clock: retries, final errors, dry-run."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bridge.argo import SubmitResult
from bridge.backoff import next_delay
from bridge.config.model import RetrySettings, SubmitSettings, Trigger
from bridge.dispatcher import Dispatcher
from bridge.errors import PermanentSubmitError, RetryableSubmitError
from bridge.evaluate import Submission
from bridge.events import webhook_data
from bridge.ingest import Ingest
from bridge.journal import Journal
from bridge.journal_async import AsyncJournal
from bridge.testing import FakeArgoClient, FakeClock
from tests.helpers import loaded

SETTINGS = SubmitSettings(
    concurrency=2,
    ratePerSecond=1000,
    retry=RetrySettings(initialDelay=1, maxDelay=8, factor=2, jitter=0),
)


class Rig:
    def __init__(
        self, tmp_path: Path, client: FakeArgoClient | None, settings: SubmitSettings
    ) -> None:
        self.clock = FakeClock()
        self.journal = AsyncJournal(Journal.open(tmp_path / "j.db"), self.clock)
        self.trigger: Trigger = loaded(tmp_path).config.triggers[0]
        self.ingest = Ingest(self.journal, self.clock)
        self.client = client
        self.dispatcher = Dispatcher(self.journal, client, settings, self.clock, random.Random(1))

    async def send(self, request_id: str) -> str:
        data = webhook_data([("X-Request-Id", request_id)], {"employee": {"email": "a@b"}})
        return (await self.ingest.accept("webhook", self.trigger, data)).event_id

    def state(self, event_id: str) -> tuple[str, int, str | None]:
        row = self.journal.journal.get(event_id)
        assert row is not None
        return row.state, row.attempts, row.last_error


@pytest.fixture
async def make_rig(tmp_path: Path) -> AsyncIterator[Callable[..., Rig]]:
    rigs: list[Rig] = []

    def make(client: FakeArgoClient | None, settings: SubmitSettings = SETTINGS) -> Rig:
        rig = Rig(tmp_path, client, settings)
        rig.journal.start()
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        await rig.journal.close()
        rig.dispatcher.close()


def failing(times: int, error: Exception) -> Callable[[Submission], SubmitResult]:
    calls = {"n": 0}

    def handler(submission: Submission) -> SubmitResult:
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return SubmitResult(submission.workflow_name, created=True)

    return handler


async def test_submits_each_event_once(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(FakeArgoClient())
    ids = [await rig.send(f"r{i}") for i in range(5)]
    result = await rig.dispatcher.drain()
    assert result.submitted == 5
    assert sorted(s.dedup_key for s in rig.client.submitted) == [f"r{i}" for i in range(5)]
    assert all(rig.state(i)[0] == "submitted" for i in ids)
    assert (await rig.dispatcher.drain()).handled == 0


async def test_retryable_errors_back_off_then_succeed(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(
        FakeArgoClient(failing(3, RetryableSubmitError("Argo Server answered 503", 503)))
    )
    event_id = await rig.send("r1")
    delays = []
    for _ in range(3):
        assert (await rig.dispatcher.run_once()).retried == 1
        row = rig.journal.journal.get(event_id)
        assert row is not None
        delays.append(rig.journal.journal.next_due() - rig.clock.now().timestamp())
        assert (await rig.dispatcher.run_once()).handled == 0  # not due yet
        rig.clock.advance(delays[-1])
    assert delays == [1.0, 2.0, 4.0]
    assert (await rig.dispatcher.run_once()).submitted == 1
    assert rig.state(event_id) == ("submitted", 4, "Argo Server answered 503")


async def test_final_error_marks_failed_with_the_servers_message(
    make_rig: Callable[..., Rig],
) -> None:
    message = "Argo Server answered 400: spec.arguments.email.value or spec.arguments.email.valueFrom is required"
    rig = make_rig(FakeArgoClient(failing(1, PermanentSubmitError(message, 400))))
    event_id = await rig.send("r1")
    assert (await rig.dispatcher.drain()).failed == 1
    assert rig.state(event_id) == ("failed", 1, message)


async def test_a_404_is_retried_once_for_the_template_cache(make_rig: Callable[..., Rig]) -> None:
    not_found = PermanentSubmitError(
        'Argo Server answered 404: workflowtemplate.argoproj.io "x" not found', 404
    )
    rig = make_rig(FakeArgoClient(failing(2, not_found)))
    event_id = await rig.send("r1")
    assert (await rig.dispatcher.run_once()).retried == 1
    rig.clock.advance(1)
    assert (await rig.dispatcher.run_once()).failed == 1
    assert rig.state(event_id)[0] == "failed"


async def test_max_attempts_gives_up(make_rig: Callable[..., Rig]) -> None:
    settings = SubmitSettings(retry=RetrySettings(initialDelay=1, jitter=0, maxAttempts=2))
    rig = make_rig(FakeArgoClient(failing(99, RetryableSubmitError("timeout"))), settings)
    event_id = await rig.send("r1")
    await rig.dispatcher.run_once()
    rig.clock.advance(1)
    await rig.dispatcher.run_once()
    assert rig.state(event_id) == ("failed", 2, "gave up after 2 attempts: timeout")


async def test_already_existing_workflow_counts_as_submitted(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(FakeArgoClient(lambda s: SubmitResult(s.workflow_name, created=False)))
    event_id = await rig.send("r1")
    assert (await rig.dispatcher.drain()).submitted == 1
    assert rig.state(event_id)[0] == "submitted"


async def test_dry_run_marks_without_submitting(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(None)
    event_id = await rig.send("r1")
    assert (await rig.dispatcher.drain()).submitted == 1
    assert rig.state(event_id)[0] == "dry-run"


async def test_rate_limit_spreads_submissions_over_time(make_rig: Callable[..., Rig]) -> None:
    settings = SubmitSettings(concurrency=1, ratePerSecond=2)
    rig = make_rig(FakeArgoClient(), settings)
    for i in range(5):
        await rig.send(f"r{i}")
    start = rig.clock.monotonic()
    assert (await rig.dispatcher.drain()).submitted == 5
    # a burst of 1 (the concurrency), then 2 per second: 4 more take 2 fake seconds
    assert rig.clock.monotonic() - start == pytest.approx(2.0)


def test_backoff_grows_caps_and_jitters() -> None:
    settings = RetrySettings(initialDelay=1, maxDelay=10, factor=3, jitter=0.5)
    rng = random.Random(7)
    for attempt, base in [(1, 1), (2, 3), (3, 9), (4, 10), (20, 10)]:
        delay = next_delay(settings, attempt, rng).total_seconds()
        assert base * 0.5 <= delay <= base * 1.5
