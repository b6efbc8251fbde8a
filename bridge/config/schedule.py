"""The schedule source's settings: cron expressions in a time zone, with overlap and catch-up.

Modelled on Argo's CronWorkflow (``schedules``, ``timezone``, ``concurrencyPolicy``, ``suspend``)
and going past it where Temporal's schedules show how (a catch-up window, catch up the last or
every missed tick). A cron that can never fire (``0 0 31 2 *``) is a configuration error here,
not a busy loop at run time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bridge.config.types import Duration

__all__ = ["ScheduleSource", "cron_triggers"]

_PROBE_START = datetime(2000, 1, 1, tzinfo=UTC)


def cron_triggers(crons: tuple[str, ...], timezone: str) -> list[CronTrigger]:
    """Build APScheduler triggers for checked cron expressions."""
    zone = ZoneInfo(timezone)
    return [CronTrigger.from_crontab(expr, timezone=zone) for expr in crons]


class ScheduleSource(BaseModel):
    """Fire the trigger on a schedule; the event data is ``{"eventTime": …, "userPayload": …}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    cron: str | None = None
    crons: tuple[str, ...] = ()
    timezone: str = "UTC"
    overlap: Literal["allow", "skip", "replace"] = "allow"
    catchup: Literal["none", "last", "all"] = "last"
    catchup_window: Duration = Field(timedelta(hours=1), alias="catchupWindow")
    suspend: bool = False
    user_payload: Any = Field(None, alias="userPayload")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone; write e.g. UTC or Europe/Amsterdam"
            ) from None
        return value

    @model_validator(mode="after")
    def _crons(self) -> ScheduleSource:
        if (self.cron is None) == (not self.crons):
            raise ValueError("give exactly one of `cron` (one expression) or `crons` (a list)")
        for expr in self.expressions:
            try:
                (trigger,) = cron_triggers((expr,), self.timezone)
            except ValueError as exc:
                raise ValueError(f"cron {expr!r}: {exc}") from None
            if trigger.get_next_fire_time(None, _PROBE_START) is None:
                raise ValueError(f"cron {expr!r} never fires (no such date); check day and month")
        return self

    @property
    def expressions(self) -> tuple[str, ...]:
        """The cron expressions, whichever key gave them."""
        return (self.cron,) if self.cron is not None else self.crons
