"""The daemon: wires the journal, ingest, dispatcher and HTTP server on one event loop.

`Daemon.serve` opens the journal, checks the triggers against the Argo Server (unless dry-run),
binds the listener (a clear error if the address is taken), then runs the HTTP server and the
dispatcher until SIGTERM or SIGINT. Shutdown stops accepting requests first, lets the journal
commit what it holds, and waits for submissions in flight; anything unfinished stays in the
journal and is submitted on the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Coroutine, Generator
from typing import Any

import structlog
import uvicorn
from minio import Minio

from bridge.argo import ArgoClient, HeraArgoClient
from bridge.clock import Clock, SystemClock
from bridge.config.load import LoadedConfig
from bridge.config.minio import MinioSettings
from bridge.config.types import split_listen
from bridge.dispatcher import Dispatcher
from bridge.errors import BridgeError, RetryableSubmitError
from bridge.ingest import Ingest
from bridge.journal import Journal
from bridge.journal_async import AsyncJournal
from bridge.preflight import check_templates
from bridge.sources.minio import MinioCatchup, MinioListenSource, make_client
from bridge.sources.schedule import ScheduleSource
from bridge.web.app import create_app

__all__ = ["Daemon", "StartupError"]

log = structlog.get_logger("bridge.daemon")


class StartupError(BridgeError):
    """The daemon cannot start; the message says why and what to do."""


class _Server(uvicorn.Server):
    """Uvicorn without its own signal handling: the daemon owns SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class Daemon:
    """One running bridge. Build with a loaded config; `client` overrides the Argo client."""

    def __init__(
        self,
        loaded: LoadedConfig,
        clock: Clock | None = None,
        client: ArgoClient | None = None,
    ) -> None:
        self.loaded = loaded
        self.clock = clock or SystemClock()
        config = loaded.config
        self.client = client
        if client is None and not config.argo.dry_run:
            self.client = HeraArgoClient(config.argo)
        self.stop = asyncio.Event()
        self.started = asyncio.Event()
        self.address: tuple[str, int] | None = None

    async def serve(self) -> None:
        """Run until `stop` is set or a signal arrives.

        Raises:
            StartupError: a trigger cannot be submitted, or the address cannot be bound.
            JournalError: the journal cannot be opened.
        """
        config = self.loaded.config
        await self._preflight()
        sock = self._bind()
        journal = AsyncJournal(Journal.open(self.loaded.state_path), self.clock)
        journal.start()
        dispatcher = Dispatcher(journal, self.client, config.submit, self.clock)

        ingest = Ingest(journal, self.clock)
        listeners, tasks = self._sources(ingest, journal)

        async def readiness() -> dict[str, Any]:
            counts = await journal.call(journal.journal.counts)
            streams = {s.trigger.name: "up" if s.up else "down" for s in listeners}
            return {
                "ready": True,
                "dryRun": self.client is None,
                "events": counts,
                "streams": streams,
            }

        app = create_app(config.triggers, ingest, config.http, readiness)
        server = _Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        host, port = self.address = sock.getsockname()[:2]
        log.info(
            "bridge_started",
            listen=f"{host}:{port}",
            journal=str(self.loaded.state_path),
            argo=config.argo.server or "dry-run",
            triggers=[t.name for t in config.triggers],
        )
        serving = asyncio.create_task(server.serve(sockets=[sock]), name="http")
        dispatching = asyncio.create_task(dispatcher.run(self.stop), name="dispatcher")
        sources = [asyncio.create_task(coro, name=name) for name, coro in tasks]
        self.started.set()
        try:
            await self.stop.wait()
        finally:
            server.should_exit = True
            await serving
            await asyncio.gather(dispatching, *sources)
            await journal.close()
            await asyncio.to_thread(dispatcher.close)
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            log.info("bridge_stopped")

    def _sources(
        self, ingest: Ingest, journal: AsyncJournal
    ) -> tuple[list[MinioListenSource], list[tuple[str, Coroutine[Any, Any, None]]]]:
        """Build the schedule and MinIO sources; return the listeners and the tasks to run."""
        config = self.loaded.config
        listeners: list[MinioListenSource] = []
        tasks: list[tuple[str, Coroutine[Any, Any, None]]] = []
        for trigger in config.triggers:
            if trigger.on.schedule is not None:
                source = ScheduleSource(trigger, ingest, journal, self.clock)
                tasks.append((f"schedule-{trigger.name}", source.run(self.stop)))
            spec = trigger.on.minio
            if spec is None or config.minio is None:
                continue
            settings = config.minio

            def client(settings: MinioSettings = settings) -> Minio:
                return make_client(settings)

            catchup = MinioCatchup(trigger, client, ingest, journal, self.clock)
            if spec.catchup != "none":
                tasks.append((f"catchup-{trigger.name}", catchup.run(self.stop)))
            if spec.delivery == "listen":
                listener = MinioListenSource(trigger, client, ingest, catchup.requested.set)
                listeners.append(listener)
                tasks.append((f"listen-{trigger.name}", listener.run(self.stop)))
        return listeners, tasks

    async def _preflight(self) -> None:
        if self.client is None:
            log.warning(
                "dry_run",
                reason="argo.server is not set: workflows are rendered and logged, not submitted",
            )
            return
        config = self.loaded.config
        try:
            report = await asyncio.to_thread(
                check_templates,
                self.client,
                config.triggers,
                f"namespace {config.argo.namespace!r}",
            )
        except RetryableSubmitError as exc:
            log.warning("template_check_skipped", reason=str(exc))
            return
        except BridgeError as exc:
            raise StartupError(f"the Argo Server refused the template check: {exc}") from None
        for warning in report.warnings:
            log.warning("template_check_warning", detail=warning)
        if report.problems:
            raise StartupError("\n".join(report.problems))

    def _bind(self) -> socket.socket:
        host, port = split_listen(self.loaded.config.http.listen)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it: small 202s must not wait for Nagle's delayed ACK
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise StartupError(
                f"cannot listen on {host}:{port}: {exc.strerror}; change http.listen or stop the "
                "other process"
            ) from None
        sock.listen(1024)
        sock.setblocking(False)
        return sock
