"""Schedule maths, pure: which ticks fall in a span, and what to do with them after a gap.

APScheduler's cron triggers compute the fire times (``get_next_fire_time(previous, now)``, with
`now` passed in, never read); this module decides. Every tick after the cursor and up to now is
due. A tick older than the catch-up window is *missed*. Of the others, ``catchup: all`` runs each
in order, ``last`` runs only the newest, ``none`` runs only a tick that is on time (at most
`ON_TIME_GRACE` late); the rest are missed, each with its reason. Daylight saving follows
APScheduler, as Argo's CronWorkflow does: a tick inside the spring-forward gap runs once, an hour
later by the wall clock (02:30 becomes 03:30); a tick inside the repeated fall-back hour runs
twice, once per occurrence of that wall-clock time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from apscheduler.triggers.cron import CronTrigger

from bridge.config.schedule import ScheduleSource, cron_triggers

__all__ = ["MAX_TICKS", "ON_TIME_GRACE", "TickPlan", "next_ticks", "plan_ticks", "ticks_between"]

ON_TIME_GRACE: Final = timedelta(minutes=1)
MAX_TICKS: Final = 10_000  # per plan; a longer gap records the newest ones and says so
_PROBES: Final = (
    timedelta(microseconds=1),
    timedelta(seconds=1),
    timedelta(minutes=1),
    timedelta(hours=1),
)


@dataclass(frozen=True)
class TickPlan:
    """What to do with the ticks in (cursor, now]."""

    fire: tuple[datetime, ...]
    missed: tuple[tuple[datetime, str], ...]
    cursor: datetime
    truncated: bool = False


def _iterate(spec: ScheduleSource, after: datetime) -> Iterator[datetime]:
    """Yield every tick strictly after `after`, in order, in UTC, merging several crons."""
    triggers = cron_triggers(spec.expressions, spec.timezone)
    pending = {i: _next(trigger, after) for i, trigger in enumerate(triggers)}
    last: datetime | None = None
    while True:
        live = {i: t for i, t in pending.items() if t is not None}
        if not live:
            return
        index, moment = min(live.items(), key=lambda item: item[1])
        pending[index] = _next(triggers[index], moment)
        if moment != last:  # two crons on the same instant fire once
            last = moment
            yield moment


def _next(trigger: CronTrigger, after: datetime) -> datetime | None:
    """The first tick strictly after `after`, in UTC.

    APScheduler 3 can answer the same instant again when `after` lies in the repeated hour of a
    fall-back night (it loses the fold); probing further ahead by growing steps gets past it.
    """
    for probe in _PROBES:
        tick = trigger.get_next_fire_time(None, after + probe)
        if tick is None:
            return None
        moment: datetime = tick.astimezone(UTC)
        if moment > after:
            return moment
    return None


def ticks_between(
    spec: ScheduleSource, after: datetime, until: datetime, limit: int = MAX_TICKS
) -> list[datetime]:
    """Return up to `limit` ticks in (after, until], oldest first (the newest if over the limit)."""
    out: list[datetime] = []
    for tick in _iterate(spec, after):
        if tick > until:
            break
        out.append(tick)
        if len(out) > limit:
            del out[0]
    return out


def next_ticks(spec: ScheduleSource, after: datetime, count: int) -> list[datetime]:
    """Return the next `count` ticks after `after`."""
    out: list[datetime] = []
    for tick in _iterate(spec, after):
        out.append(tick)
        if len(out) == count:
            break
    return out


def plan_ticks(spec: ScheduleSource, cursor: datetime, now: datetime) -> TickPlan:
    """Decide the ticks in (cursor, now] under the schedule's catch-up policy."""
    ticks = ticks_between(spec, cursor, now, MAX_TICKS + 1)
    truncated = len(ticks) > MAX_TICKS
    ticks = ticks[-MAX_TICKS:]
    window_start = now - spec.catchup_window
    in_window = [t for t in ticks if t >= window_start or now - t <= ON_TIME_GRACE]
    missed = [
        (t, f"older than catchupWindow ({spec.catchup_window})")
        for t in ticks
        if t not in in_window
    ]
    if spec.catchup == "all":
        fire = in_window
    elif spec.catchup == "last":
        fire = in_window[-1:]
        missed += [(t, "catchup: last runs only the newest missed tick") for t in in_window[:-1]]
    else:
        fire = [t for t in in_window if now - t <= ON_TIME_GRACE]
        missed += [(t, "catchup: none") for t in in_window if t not in fire]
    return TickPlan(tuple(fire), tuple(sorted(missed)), now, truncated)
