"""Schedules with a controllable clock: DST, catch-up after downtime, once per tick, overlap."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bridge.argo import HeraArgoClient
from bridge.config.load import load_config
from bridge.config.model import ArgoSettings, SubmitSettings, Trigger
from bridge.config.schedule import ScheduleSource as ScheduleSpec
from bridge.dispatcher import Dispatcher
from bridge.errors import ConfigError
from bridge.evaluate import TRIGGER_LABEL
from bridge.ingest import Ingest
from bridge.journal import Journal
from bridge.journal_async import AsyncJournal
from bridge.sources.schedule import ScheduleSource
from bridge.testing import FakeArgoClient, FakeClock
from bridge.ticks import plan_ticks, ticks_between
from tests.argo_double import ArgoDouble

AMS = "Europe/Amsterdam"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# --- daylight saving: documented behaviour, pinned ---------------------------------------


def test_spring_forward_tick_runs_once_an_hour_later() -> None:
    spec = ScheduleSpec(cron="30 2 * * *", timezone=AMS)
    ticks = ticks_between(spec, utc(2026, 3, 28, 12), utc(2026, 3, 30, 12))
    # 2026-03-29 02:30 does not exist in Amsterdam: it runs at 01:30 UTC = 03:30 CEST
    assert ticks == [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]


def test_fall_back_tick_runs_twice() -> None:
    spec = ScheduleSpec(cron="30 2 * * *", timezone=AMS)
    ticks = ticks_between(spec, utc(2026, 10, 24, 12), utc(2026, 10, 26, 12))
    # 02:30 happens twice on 2026-10-25: 02:30 CEST (00:30 UTC) and 02:30 CET (01:30 UTC)
    assert ticks == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), utc(2026, 10, 26, 1, 30)]


def test_every_twenty_minutes_across_fall_back_is_regular_in_utc() -> None:
    spec = ScheduleSpec(cron="*/20 * * * *", timezone=AMS)
    ticks = ticks_between(spec, utc(2026, 10, 24, 23, 50), utc(2026, 10, 25, 2, 10))
    assert [t - ticks[0] for t in ticks] == [timedelta(minutes=20 * i) for i in range(7)]


def test_several_crons_merge_and_fire_once_per_instant() -> None:
    spec = ScheduleSpec(crons=("0 * * * *", "0 */2 * * *", "30 1 * * *"))
    ticks = ticks_between(spec, utc(2026, 1, 1), utc(2026, 1, 1, 3))
    assert ticks == [utc(2026, 1, 1, 1), utc(2026, 1, 1, 1, 30), utc(2026, 1, 1, 2), utc(2026, 1, 1, 3)]


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ('cron: "0 0 31 2 *"', "never fires"),
        ('cron: "61 * * * *"', "higher than the maximum"),
        ('cron: "* * *"', "Wrong number of fields"),
        ('cron: "0 2 * * *"\n        timezone: Mars/Base', "not an IANA time zone"),
        ("overlap: forbid", "Input should be 'allow', 'skip' or 'replace'"),
        ('cron: "0 2 * * *"\n        crons: ["0 3 * * *"]', "exactly one of `cron`"),
    ],
)
def test_bad_schedules_are_config_errors(tmp_path: Path, schedule: str, message: str) -> None:
    if not schedule.startswith(("cron", "crons")):
        schedule = 'cron: "0 2 * * *"\n        ' + schedule
    path = tmp_path / "bridge.yaml"
    path.write_text(
        "triggers:\n  - name: nightly\n    on:\n      schedule:\n        "
        + schedule
        + "\n    workflowTemplate: nightly-report\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert any(message in str(p) for p in caught.value.problems), caught.value.problems
    assert all(p.line is not None for p in caught.value.problems)


def test_long_schedule_trigger_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bridge.yaml"
    name = "n" * 53
    path.write_text(
        f'triggers:\n  - name: {name}\n    on:\n      schedule: {{cron: "0 2 * * *"}}\n'
        "    workflowTemplate: t\n"
    )
    with pytest.raises(ConfigError, match="at most 52 characters"):
        load_config(path, environ={})


# --- catch-up after downtime, pure ------------------------------------------------------


@pytest.mark.parametrize(
    ("catchup", "fired_hours", "missed"),
    [("all", [6, 7, 8, 9, 10], 5), ("last", [10], 9), ("none", [10], 9)],
)
def test_plan_after_ten_hours_down(catchup: str, fired_hours: list[int], missed: int) -> None:
    spec = ScheduleSpec(cron="0 * * * *", catchup=catchup, catchupWindow="5h")
    plan = plan_ticks(spec, utc(2026, 1, 1), utc(2026, 1, 1, 10, 0, 30))
    assert plan.fire == tuple(utc(2026, 1, 1, h) for h in fired_hours)
    assert len(plan.missed) == missed
    assert plan.missed[0] == (utc(2026, 1, 1, 1), "older than catchupWindow (5:00:00)")


def test_catchup_none_runs_nothing_late() -> None:
    spec = ScheduleSpec(cron="0 * * * *", catchup="none", catchupWindow="5h")
    plan = plan_ticks(spec, utc(2026, 1, 1), utc(2026, 1, 1, 10, 5))
    assert plan.fire == ()
    assert [reason for _, reason in plan.missed][-1] == "catchup: none"


# --- the source with a journal and a fake clock -----------------------------------------


CONFIG = """
triggers:
  - name: nightly
    on:
      schedule:
        cron: "0 * * * *"
        catchup: {catchup}
        catchupWindow: 5h
        overlap: {overlap}
        userPayload: {{team: data}}
    workflowTemplate: nightly-report
    parameters:
      - {{name: date, from: eventTime}}
      - {{name: team, from: userPayload.team}}
"""


class Rig:
    def __init__(self, tmp_path: Path, client: Any, catchup: str = "last", overlap: str = "allow") -> None:
        path = tmp_path / "bridge.yaml"
        path.write_text(CONFIG.format(catchup=catchup, overlap=overlap))
        self.trigger: Trigger = load_config(path, environ={}).config.triggers[0]
        self.clock = FakeClock(utc(2026, 1, 1, 0, 0, 10))
        self.db = tmp_path / "state.db"
        self.client = client
        self.journal = AsyncJournal(Journal.open(self.db), self.clock)
        self.journal.start()
        self.source = ScheduleSource(self.trigger, Ingest(self.journal, self.clock), self.journal, self.clock)
        self.dispatcher = Dispatcher(self.journal, client, SubmitSettings(), self.clock, random.Random(1))

    async def close(self) -> None:
        await self.journal.close()
        self.dispatcher.close()

    def states(self) -> list[tuple[str, str | None]]:
        rows = self.journal.journal.history(limit=1000)
        return [(r.state, r.workflow) for r in reversed(rows)]


@pytest.fixture
async def rigs(tmp_path: Path) -> AsyncIterator[list[Rig]]:
    made: list[Rig] = []
    yield made
    for rig in made:
        await rig.close()


def name(hour: int, day: int = 1) -> str:
    return f"nightly-{int(utc(2026, 1, day, hour).timestamp())}"


async def test_first_start_does_not_replay_history(tmp_path: Path, rigs: list[Rig]) -> None:
    rig = Rig(tmp_path, FakeArgoClient())
    rigs.append(rig)
    assert await rig.source.run_once() == []
    rig.clock.advance(3600)  # 01:00:10
    [recorded] = await rig.source.run_once()
    assert recorded.workflow == name(1)
    await rig.dispatcher.drain()
    [submitted] = rig.client.submitted
    assert submitted.parameters == (("date", "2026-01-01T01:00:00Z"), ("team", "data"))


@pytest.mark.parametrize(
    ("catchup", "fired"), [("all", [6, 7, 8, 9, 10]), ("last", [10]), ("none", [10])]
)
async def test_restart_after_a_gap(tmp_path: Path, rigs: list[Rig], catchup: str, fired: list[int]) -> None:
    rig = Rig(tmp_path, FakeArgoClient(), catchup=catchup)
    rigs.append(rig)
    await rig.source.run_once()
    await rig.close()
    rigs.remove(rig)
    # the bridge is down from 00:00:10 to 10:00:20; a new process opens the same journal
    again = Rig(tmp_path, FakeArgoClient(), catchup=catchup)
    rigs.append(again)
    again.clock.advance(10 * 3600 + 10)
    await again.source.run_once()
    await again.dispatcher.drain()
    assert [s.workflow_name for s in again.client.submitted] == [name(h) for h in fired]
    states = again.states()
    assert len(states) == 10
    assert sorted(w for s, w in states if s == "submitted") == sorted(name(h) for h in fired)
    assert all(s == "missed" for s, w in states if w not in {name(h) for h in fired})


async def test_each_tick_fires_once_whatever_restarts(tmp_path: Path, rigs: list[Rig]) -> None:
    rig = Rig(tmp_path, FakeArgoClient())
    rigs.append(rig)
    await rig.source.run_once()
    rig.clock.advance(3600)
    assert len(await rig.source.run_once()) == 1
    assert await rig.source.run_once() == []  # same tick, same process
    fresh = ScheduleSource(rig.trigger, Ingest(rig.journal, rig.clock), rig.journal, rig.clock)
    assert await fresh.run_once() == []  # same tick after a "restart"
    await rig.dispatcher.drain()
    assert len(rig.client.submitted) == 1


async def test_pause_and_resume(tmp_path: Path, rigs: list[Rig]) -> None:
    rig = Rig(tmp_path, FakeArgoClient())
    rigs.append(rig)
    await rig.source.run_once()
    rig.journal.journal.set_paused("nightly", True, rig.clock.now())
    rig.clock.advance(2 * 3600)
    assert await rig.source.run_once() == []
    rig.journal.journal.set_paused("nightly", False, rig.clock.now())
    assert await rig.source.run_once() == []  # ticks during the pause are not caught up
    rig.clock.advance(3600)
    [recorded] = await rig.source.run_once()
    assert recorded.workflow == name(3)


# --- overlap against the Argo Server double --------------------------------------------


@pytest.fixture
def argo_with_running() -> AsyncIterator[ArgoDouble]:
    double = ArgoDouble(token="test-token").start()
    double.add_template("nightly-report", parameters=[{"name": "date"}, {"name": "team"}])
    yield double
    double.stop()


def start_running(argo: ArgoDouble) -> str:
    client = HeraArgoClient(ArgoSettings(server=argo.url, token=SecretStr("test-token")))
    from bridge.evaluate import Submission

    client.submit(
        Submission("nightly-running", "nightly-report", "x", (("date", "d"), ("team", "t")), ((TRIGGER_LABEL, "nightly"),))
    )
    client.close()
    argo.set_phase("argo", "nightly-running", "Running")
    return "nightly-running"


@pytest.mark.parametrize("overlap", ["allow", "skip", "replace"])
async def test_overlap_policies(
    tmp_path: Path, rigs: list[Rig], argo_with_running: ArgoDouble, overlap: str
) -> None:
    argo = argo_with_running
    running = start_running(argo)
    client = HeraArgoClient(ArgoSettings(server=argo.url, token=SecretStr("test-token")))
    rig = Rig(tmp_path, client, overlap=overlap)
    rigs.append(rig)
    await rig.source.run_once()
    rig.clock.advance(3600)
    await rig.source.run_once()
    await rig.dispatcher.drain()
    [(state, _)] = rig.states()
    phase = argo.workflows[("argo", running)]["status"].get("phase")
    if overlap == "skip":
        assert state == "skipped"
        assert ("argo", name(1)) not in argo.workflows
        row = rig.journal.journal.history()[0]
        assert row.last_error == f"skipped: workflow {running} of this trigger is still running"
        assert phase == "Running"
    else:
        assert state == "submitted"
        assert ("argo", name(1)) in argo.workflows
        assert phase == ("Failed" if overlap == "replace" else "Running")


async def test_skip_does_not_count_finished_runs(
    tmp_path: Path, rigs: list[Rig], argo_with_running: ArgoDouble
) -> None:
    argo = argo_with_running
    running = start_running(argo)
    argo.set_phase("argo", running, "Succeeded")
    client = HeraArgoClient(ArgoSettings(server=argo.url, token=SecretStr("test-token")))
    rig = Rig(tmp_path, client, overlap="skip")
    rigs.append(rig)
    await rig.source.run_once()
    rig.clock.advance(3600)
    await rig.source.run_once()
    await rig.dispatcher.drain()
    assert rig.states() == [("submitted", name(1))]
