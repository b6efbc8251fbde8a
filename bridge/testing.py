"""Test helpers that ship with the package: a controllable clock and a scriptable Argo client.

`FakeClock` moves only when told (`advance`), and its `sleep` advances it instead of waiting, so
retries, rate limits and schedules run in tests without real time passing. `FakeArgoClient`
answers each call through a handler function, in the manner of httpx's ``MockTransport``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bridge.argo import SubmitResult, TemplateInfo
from bridge.evaluate import Submission

__all__ = ["FakeArgoClient", "FakeClock"]


class FakeClock:
    """A clock that stands still until `advance` (or `sleep`) moves it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = 1000.0

    def now(self) -> datetime:
        """Return the fake current time."""
        return self._now

    def monotonic(self) -> float:
        """Return the fake monotonic time."""
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    async def sleep(self, seconds: float) -> None:
        """Advance instead of waiting (yielding once, as a real sleep would)."""
        self.advance(max(seconds, 0.0))
        await asyncio.sleep(0)


class FakeArgoClient:
    """An `ArgoClient` whose submit answers come from `handler` (default: always created)."""

    def __init__(
        self,
        handler: Callable[[Submission], SubmitResult] | None = None,
        templates: dict[str, TemplateInfo] | None = None,
    ) -> None:
        self._handler = handler or (lambda s: SubmitResult(s.workflow_name, created=True))
        self.templates = templates or {}
        self.submitted: list[Submission] = []
        self.active: dict[str, list[str]] = {}  # trigger -> workflows reported as running
        self.stopped: list[str] = []
        self._lock = threading.Lock()

    def submit(self, submission: Submission) -> SubmitResult:
        """Record the submission, then answer through the handler."""
        with self._lock:
            self.submitted.append(submission)
        return self._handler(submission)

    def get_template(self, name: str) -> TemplateInfo | None:
        """Return the configured template info."""
        return self.templates.get(name)

    def active_workflows(self, trigger: str) -> list[str]:
        """Return what `active` says for the trigger."""
        return list(self.active.get(trigger, []))

    def stop(self, workflow: str) -> None:
        """Record the stop and forget the workflow as active."""
        self.stopped.append(workflow)
        for names in self.active.values():
            if workflow in names:
                names.remove(workflow)

    def close(self) -> None:
        """Nothing to release."""
