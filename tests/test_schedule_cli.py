"""The schedule commands against the Argo Server double: fire, backfill, pause, resume, schedules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.cli import main
from bridge.journal import Journal
from tests.argo_double import ArgoDouble

CONFIG = """
argo:
  server: {server}
  token: test-token
state:
  path: {state}
triggers:
  - name: nightly
    on:
      schedule:
        cron: "0 2 * * *"
        timezone: Europe/Amsterdam
    workflowTemplate: nightly-report
    parameters:
      - {{name: date, from: eventTime}}
"""


@pytest.fixture
def argo() -> Iterator[ArgoDouble]:
    double = ArgoDouble(token="test-token").start()
    double.add_template("nightly-report", parameters=[{"name": "date"}])
    yield double
    double.stop()


@pytest.fixture
def config(tmp_path: Path, argo: ArgoDouble) -> Path:
    path = tmp_path / "bridge.yaml"
    path.write_text(CONFIG.format(server=argo.url, state=tmp_path / "state.db"))
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_backfill_twice_starts_each_tick_once(
    config: Path, argo: ArgoDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("backfill", "-c", str(config), "-t", "nightly", "--from", "2026-11-28", "--to", "2026-12-01T03:00")
    code, out, _ = run(capsys, *args)
    assert code == 0
    names = sorted(w["metadata"]["name"] for w in argo.submissions)
    assert names == [f"nightly-{t}" for t in (1795827600, 1795914000, 1796000400, 1796086800)]
    assert out.count(" submitted") == 4
    first = min(argo.submissions, key=lambda w: w["metadata"]["name"])
    assert first["spec"]["arguments"]["parameters"] == [
        {"name": "date", "value": "2026-11-28T01:00:00Z"}
    ]
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert argo.submit_count() == 4
    assert out.count(" deduplicated") == 4


def test_backfill_dry_run_lists_and_starts_nothing(
    config: Path, argo: ArgoDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys, "backfill", "-c", str(config), "-t", "nightly", "--from", "2026-11-28T00:00:00Z",
        "--to", "2026-11-29T23:00:00Z", "--dry-run",
    )
    assert code == 0
    assert out.splitlines() == [
        "2026-11-28T02:00:00+01:00  nightly-1795827600",
        "2026-11-29T02:00:00+01:00  nightly-1795914000",
        "2 tick(s); nothing started (--dry-run)",
    ]
    assert argo.submit_count() == 0


def test_backfill_bad_time(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "backfill", "-c", str(config), "-t", "nightly", "--from", "yesterday", "--to", "2026-12-01")
    assert code == 2
    assert "Invalid isoformat string: 'yesterday'; write e.g. 2026-12-01T00:00" in err


def test_fire_twice_starts_two_runs_with_names_of_their_own(
    config: Path, argo: ArgoDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "fire", "-c", str(config), "-t", "nightly")[0] == 0
    assert run(capsys, "fire", "-c", str(config), "-t", "nightly")[0] == 0
    names = [w["metadata"]["name"] for w in argo.submissions]
    assert len(set(names)) == 2
    assert all(n.startswith("nightly-") and len(n) == len("nightly-") + 16 for n in names)


def test_fire_unknown_trigger(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "fire", "-c", str(config), "-t", "nope")
    assert code == 2
    assert "no schedule trigger 'nope'; schedule triggers: nightly" in err


def test_pause_resume_and_schedules(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pause", "-c", str(config), "-t", "nightly")
    assert (code, out) == (0, "nightly paused\n")
    journal = Journal.open(tmp_path / "state.db")
    assert journal.paused() == {"nightly"}
    journal.close()
    code, out, _ = run(capsys, "schedules", "-c", str(config))
    lines = out.splitlines()
    assert lines[0] == "nightly: 0 2 * * * in Europe/Amsterdam [paused]"
    assert len(lines) == 6
    assert all(line.strip().endswith(("T02:00:00+01:00", "T02:00:00+02:00")) for line in lines[1:])
    code, out, _ = run(capsys, "resume", "-c", str(config), "-t", "nightly")
    assert code == 0
    journal = Journal.open(tmp_path / "state.db")
    assert journal.paused() == frozenset()
    journal.close()


async def test_daemon_runs_schedule_triggers(tmp_path: Path, argo: ArgoDouble) -> None:
    import asyncio

    from bridge.config.load import load_config
    from bridge.daemon import Daemon
    from tests.conftest import eventually

    path = tmp_path / "bridge.yaml"
    path.write_text(CONFIG.format(server=argo.url, state=tmp_path / "state.db") + "http:\n  listen: 127.0.0.1:0\n")
    daemon = Daemon(load_config(path, environ={}))
    task = asyncio.create_task(daemon.serve())
    journal = Journal.open(tmp_path / "state.db")
    try:
        await eventually(lambda: journal.cursor("nightly") is not None)
    finally:
        daemon.stop.set()
        await task
        journal.close()
