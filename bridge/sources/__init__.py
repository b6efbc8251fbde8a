"""Event sources: each turns something outside (an HTTP request, an upload, a tick) into data.

A source produces only the payload in Argo Events' shape for its kind and hands it to
`bridge.ingest.Ingest.accept`, which builds the envelope, decides and journals. Sources that run
on their own (listeners, schedules) implement `Source`; the webhook source is driven by the HTTP
server in `bridge.web` and keeps its checks here, free of HTTP plumbing.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

__all__ = ["Source"]


class Source(Protocol):
    """A long-running source, built with its `Ingest`; `run` hands it payloads until `stop`."""

    kind: str

    async def run(self, stop: asyncio.Event) -> None:
        """Produce events until `stop` is set."""
        ...
