"""The schedule commands: fire, backfill, pause, resume and schedules.

`fire` and `backfill` journal their runs as the daemon does and then submit them at once with
the same dispatcher, so they obey the same retries, overlap policy and names: a backfilled tick is
``<trigger>-<unix seconds>`` like the scheduled one, and backfilling twice starts nothing new (the
journal and the Argo Server both refuse the repeat). A daemon running at the same time does no
harm, for the same reason. `pause` and `resume` only write the journal; the daemon reads it at the
trigger's next tick.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bridge.argo import HeraArgoClient
from bridge.cli_common import EXIT_CONFIG, EXIT_FAILED, Register
from bridge.clock import SystemClock
from bridge.config.load import LoadedConfig
from bridge.config.model import Trigger
from bridge.dispatcher import Dispatcher
from bridge.evaluate import MANUAL_SOURCE, SCHEDULE_SOURCE, Decision, evaluate
from bridge.events import Event, calendar_data, make_event
from bridge.journal import Journal, JournalRow
from bridge.journal_async import AsyncJournal
from bridge.ticks import next_ticks, ticks_between

__all__ = ["add_commands"]


def add_commands(register: Register) -> None:
    """Add the schedule commands through the CLI's `register(name, help, handler)`."""
    fire = register("fire", "start a schedule trigger's workflow now, out of schedule", _fire)
    fire.add_argument("--trigger", "-t", required=True, help="the trigger's name")
    backfill = register("backfill", "run every tick of a schedule in a time range", _backfill)
    backfill.add_argument("--trigger", "-t", required=True, help="the trigger's name")
    backfill.add_argument(
        "--from", dest="start", required=True, help="ISO time (naive: in the trigger's zone)"
    )
    backfill.add_argument("--to", dest="end", required=True, help="ISO time, inclusive")
    backfill.add_argument("--dry-run", action="store_true", help="list the ticks; start nothing")
    pause = register("pause", "pause a schedule trigger (kept in the journal)", _pause)
    pause.add_argument("--trigger", "-t", required=True, help="the trigger's name")
    resume = register("resume", "resume a paused schedule trigger", _resume)
    resume.add_argument("--trigger", "-t", required=True, help="the trigger's name")
    register("schedules", "list each schedule trigger's next five ticks", _schedules)


def _schedule_trigger(loaded: LoadedConfig, name: str) -> Trigger | None:
    trigger = loaded.config.trigger(name)
    if trigger is None or trigger.on.schedule is None:
        names = ", ".join(t.name for t in loaded.config.triggers if t.on.schedule is not None)
        print(
            f"error: no schedule trigger {name!r}; schedule triggers: {names or 'none'}",
            file=sys.stderr,
        )
        return None
    return trigger


def _fire(loaded: LoadedConfig, args: argparse.Namespace) -> int:
    trigger = _schedule_trigger(loaded, args.trigger)
    if trigger is None:
        return EXIT_CONFIG
    assert trigger.on.schedule is not None
    clock = SystemClock()
    data = calendar_data(clock.now(), trigger.on.schedule.user_payload)
    event = make_event(MANUAL_SOURCE, trigger.name, data, clock)
    return _submit_now(loaded, [(event, evaluate(trigger, event))])


def _backfill(loaded: LoadedConfig, args: argparse.Namespace) -> int:
    trigger = _schedule_trigger(loaded, args.trigger)
    if trigger is None:
        return EXIT_CONFIG
    spec = trigger.on.schedule
    assert spec is not None
    zone = ZoneInfo(spec.timezone)
    try:
        start, end = (_moment(text, zone) for text in (args.start, args.end))
    except ValueError as exc:
        print(f"error: {exc}; write e.g. 2026-12-01T00:00 or 2026-12-01T00:00:00Z", file=sys.stderr)
        return EXIT_CONFIG
    ticks = ticks_between(spec, start - timedelta(microseconds=1), end)
    if not ticks:
        print(f"no ticks of {trigger.name} between {start.isoformat()} and {end.isoformat()}")
        return 0
    clock = SystemClock()
    entries: list[tuple[Event, Decision]] = []
    for tick in ticks:
        event = make_event(
            SCHEDULE_SOURCE, trigger.name, calendar_data(tick, spec.user_payload), clock
        )
        entries.append((event, evaluate(trigger, event)))
    if args.dry_run:
        for tick, (_, decision) in zip(ticks, entries, strict=True):
            print(f"{tick.astimezone(zone).isoformat()}  {getattr(decision, 'workflow_name', '-')}")
        print(f"{len(ticks)} tick(s); nothing started (--dry-run)")
        return 0
    return _submit_now(loaded, entries)


def _moment(text: str, zone: ZoneInfo) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _submit_now(loaded: LoadedConfig, entries: list[tuple[Event, Decision]]) -> int:
    rows = asyncio.run(_journal_and_dispatch(loaded, entries))
    for row in rows:
        detail = f"  ({row.last_error})" if row.last_error and row.state != "submitted" else ""
        tick = row.data.get("eventTime", "")
        print(f"{tick}  {row.workflow}  {row.state}{detail}")
    return EXIT_FAILED if any(row.state == "failed" for row in rows) else 0


async def _journal_and_dispatch(
    loaded: LoadedConfig, entries: list[tuple[Event, Decision]]
) -> list[JournalRow]:
    config = loaded.config
    clock = SystemClock()
    journal = AsyncJournal(Journal.open(loaded.state_path), clock)
    journal.start()
    client = None if config.argo.dry_run else HeraArgoClient(config.argo)
    dispatcher = Dispatcher(journal, client, config.submit, clock)
    try:
        recorded = await journal.record_batch(entries)
        await dispatcher.drain()
        rows = [await journal.call(journal.journal.get, r.event_id) for r in recorded]
    finally:
        await journal.close()
        dispatcher.close()
    return [row for row in rows if row is not None]


def _pause(loaded: LoadedConfig, args: argparse.Namespace) -> int:
    return _set_paused(loaded, args.trigger, paused=True)


def _resume(loaded: LoadedConfig, args: argparse.Namespace) -> int:
    return _set_paused(loaded, args.trigger, paused=False)


def _set_paused(loaded: LoadedConfig, name: str, paused: bool) -> int:
    trigger = _schedule_trigger(loaded, name)
    if trigger is None:
        return EXIT_CONFIG
    journal = Journal.open(loaded.state_path)
    try:
        journal.set_paused(trigger.name, paused, SystemClock().now())
    finally:
        journal.close()
    word = "paused" if paused else "resumed (ticks missed while paused are not run)"
    print(f"{trigger.name} {word}")
    return 0


def _schedules(loaded: LoadedConfig, _: argparse.Namespace) -> int:
    paused: frozenset[str] = frozenset()
    if loaded.state_path.exists():
        journal = Journal.open(loaded.state_path)
        try:
            paused = journal.paused()
        finally:
            journal.close()
    now = SystemClock().now()
    found = False
    for trigger in loaded.config.triggers:
        spec = trigger.on.schedule
        if spec is None:
            continue
        found = True
        state = " [paused]" if trigger.name in paused else " [suspended]" if spec.suspend else ""
        print(f"{trigger.name}: {' | '.join(spec.expressions)} in {spec.timezone}{state}")
        zone = ZoneInfo(spec.timezone)
        for tick in next_ticks(spec, now, 5):
            print(f"  {tick.astimezone(zone).isoformat()}")
    if not found:
        print("no schedule triggers")
    return 0
