"""The Sensor trigger's delivery settings, taken from the bridge's own ``submit`` settings.

`retry_strategy` maps ``submit.retry`` onto Argo Events' Backoff (``steps``, ``duration``,
``factor``, ``jitter``) and `rate_limit` maps ``submit.ratePerSecond`` onto ``rateLimit``. Each
returns the mapped value and, when the mapping is not exact, a sentence saying how Argo Events
will behave differently (the generator turns it into a warning). Argo Events' Backoff has no
delay cap and always a finite number of steps: ``steps`` counts attempts, the first included.
"""

from __future__ import annotations

import math
from typing import Any, Final

from bridge.config.model import RetrySettings
from bridge.generate.goformat import go_duration

__all__ = ["MAX_STEPS", "rate_limit", "retry_strategy"]

MAX_STEPS: Final = 20  # when the bridge retries without limit: at most this many attempts
_UNITS: Final = (("Second", 1), ("Minute", 60), ("Hour", 3600))


def _attempts_to_cap(retry: RetrySettings) -> int:
    """Attempts until the retry delay first reaches ``maxDelay`` (the bridge's steady state)."""
    initial = retry.initial_delay.total_seconds()
    cap = retry.max_delay.total_seconds()
    if initial >= cap:
        return 2
    if retry.factor <= 1.0:
        return MAX_STEPS
    retries = math.ceil(math.log(cap / initial, retry.factor) - 1e-9) + 1
    return min(retries + 1, MAX_STEPS)


def retry_strategy(retry: RetrySettings) -> tuple[dict[str, Any], str | None]:
    """Return the trigger's ``retryStrategy`` and, if it differs from the bridge, how."""
    steps = retry.max_attempts or _attempts_to_cap(retry)
    strategy: dict[str, Any] = {
        "steps": steps,
        "duration": go_duration(retry.initial_delay),
        "factor": retry.factor,
        "jitter": retry.jitter,
    }
    initial = retry.initial_delay.total_seconds()
    longest = initial * retry.factor ** max(steps - 2, 0) if steps > 1 else 0.0
    cap = retry.max_delay.total_seconds()
    if retry.max_attempts == 0:
        return strategy, (
            "the bridge retries a failed submission until it succeeds (maxAttempts: 0); "
            f"Argo Events gives up after {steps} attempts (retryStrategy.steps) and the event "
            "is lost; set submit.retry.maxAttempts to choose the number"
        )
    if longest > cap + 1e-9:
        return strategy, (
            f"the bridge caps the retry delay at maxDelay {go_duration(retry.max_delay)}; Argo "
            f"Events' backoff has no cap, so its last delay grows to {round(longest)}s"
        )
    return strategy, None


def rate_limit(per_second: float) -> tuple[dict[str, Any], str | None]:
    """Return the trigger's ``rateLimit`` and, if it is only close to the bridge's, how."""
    for unit, seconds in _UNITS:
        count = per_second * seconds
        if count >= 1 and abs(count - round(count)) < 1e-9:
            return {"unit": unit, "requestsPerUnit": round(count)}, None
    hourly = max(round(per_second * 3600), 1)
    return {"unit": "Hour", "requestsPerUnit": hourly}, (
        f"ratePerSecond {per_second} is no whole number of requests per second, minute or "
        f"hour; the Sensor allows {hourly} per hour"
    )
