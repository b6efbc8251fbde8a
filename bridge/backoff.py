"""Retry delays as data: exponential backoff with jitter, computed by a pure function."""

from __future__ import annotations

import random
from datetime import timedelta

from bridge.config.model import RetrySettings

__all__ = ["next_delay"]


def next_delay(settings: RetrySettings, attempt: int, rng: random.Random) -> timedelta:
    """Return how long to wait after failed attempt number `attempt` (1 for the first).

    The delay grows by `factor` per attempt from `initial_delay`, is capped at `max_delay`, and
    is then spread by ±`jitter` (a fraction) so that many events retried together do not return
    together.
    """
    base = settings.initial_delay.total_seconds() * settings.factor ** max(attempt - 1, 0)
    capped = min(base, settings.max_delay.total_seconds())
    spread = capped * settings.jitter * (2 * rng.random() - 1)
    return timedelta(seconds=max(capped + spread, 0.0))
