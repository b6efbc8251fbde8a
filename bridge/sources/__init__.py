"""Event sources: each turns something outside (an HTTP request, an upload, a tick) into data.

A source produces only the payload in Argo Events' shape for its kind and hands it to
`bridge.ingest.Ingest.accept`, which builds the envelope, decides and journals. Sources that run
on their own (listeners, schedules) implement `Source`; the webhook source is driven by the HTTP
server in `bridge.web` and keeps its checks here, free of HTTP plumbing.
"""

from __future__ import annotations

from typing import Protocol

from bridge.ingest import Ingest

__all__ = ["Source"]


class Source(Protocol):
    """A long-running source: `run` hands payloads to `ingest` until cancelled."""

    kind: str

    async def run(self, ingest: Ingest) -> None:
        """Produce events until cancelled."""
        ...
