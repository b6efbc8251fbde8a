"""Fixtures: the Argo Server double over real HTTP, and a daemon running in-process on it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from bridge.config.load import LoadedConfig, load_config
from bridge.daemon import Daemon
from tests.argo_double import ArgoDouble
from tests.argo_validators import submit_rules, validators_built
from tests.helpers import write_config

TEMPLATE_PARAMETERS = [{"name": "email"}, {"name": "source", "value": "default"}]


@pytest.fixture
def argo() -> Iterator[ArgoDouble]:
    double = judged(ArgoDouble(token="test-token")).start()
    double.add_template("onboard-employee", parameters=TEMPLATE_PARAMETERS)
    yield double
    double.stop()


def judged(double: ArgoDouble) -> ArgoDouble:
    """Let Argo's own validator judge every submission, as the real server would, when built."""
    if validators_built():
        double.argo_submit_rules = submit_rules
    return double


@pytest.fixture(autouse=True)
def _quiet_logs() -> Iterator[None]:
    structlog.configure(
        processors=[structlog.processors.JSONRenderer()],
        logger_factory=structlog.ReturnLoggerFactory(),
    )
    yield
    structlog.reset_defaults()


class RunningBridge:
    """A daemon serving on a free port, and an HTTP client pointed at it."""

    def __init__(self, daemon: Daemon, task: asyncio.Task[None], client: httpx.AsyncClient) -> None:
        self.daemon = daemon
        self.task = task
        self.http = client

    @property
    def loaded(self) -> LoadedConfig:
        return self.daemon.loaded

    async def post(self, path: str, body: Any = None, **headers: str) -> httpx.Response:
        content = body if isinstance(body, bytes) else httpx.Request("POST", "/", json=body).content
        return await self.http.post(path, content=content, headers=headers)

    async def stop(self) -> None:
        self.daemon.stop.set()
        await self.task


@pytest.fixture
async def start_bridge(tmp_path: Path) -> AsyncIterator[Callable[..., Awaitable[RunningBridge]]]:
    running: list[RunningBridge] = []

    async def start(argo: ArgoDouble | None = None, **config: Any) -> RunningBridge:
        server = argo.url if argo is not None else ""
        loaded = load_config(write_config(tmp_path, server=server, port=0, **config), environ={})
        daemon = Daemon(loaded)
        task = asyncio.create_task(daemon.serve())
        started = asyncio.create_task(daemon.started.wait())
        await asyncio.wait({task, started}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            started.cancel()
            task.result()  # raises the start-up error
        assert daemon.address is not None
        client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{daemon.address[1]}", timeout=10)
        bridge = RunningBridge(daemon, task, client)
        running.append(bridge)
        return bridge

    yield start
    for bridge in running:
        await bridge.http.aclose()
        if not bridge.task.done():
            await bridge.stop()
        with contextlib.suppress(Exception):
            bridge.task.result()


async def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until `predicate()` holds, checking after each turn of the loop; fail on timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
