"""Values written the way Argo's Go code reads them: durations for ``time.ParseDuration``."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

__all__ = ["go_duration"]

_UNITS: Final = (("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1))


def go_duration(value: timedelta) -> str:
    """Write `value` as a Go duration, to the millisecond: ``1s``, ``500ms``, ``1h30m``, ``0s``."""
    millis = round(value.total_seconds() * 1000)
    if millis <= 0:
        return "0s"
    parts: list[str] = []
    for unit, size in _UNITS:
        count, millis = divmod(millis, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
