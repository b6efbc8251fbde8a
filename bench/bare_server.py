"""The ingest baseline: a trivial Starlette route on the daemon's HTTP stack, answering 202 JSON.

``--loop daemon`` serves as `bridge.daemon.Daemon.serve` does: the listening socket comes from
the daemon's own `Daemon._bind` (so its socket options, TCP_NODELAY included, are the
daemon's), then ``asyncio.run`` of ``uvicorn.Server(uvicorn.Config(app, log_config=None,
access_log=False, lifespan="off")).serve(sockets=[sock])``. ``Server.serve`` (unlike
``Server.run``) never applies uvicorn's loop factory, so that is the stdlib asyncio loop with
httptools (``http="auto"``), not uvloop. ``--loop uvloop`` serves the same socket through
``Server.run``, i.e. uvicorn's defaults with uvloop, for reference. The route reads the whole
body and answers an object shaped like the bridge's 202.

Run: ``python -m bench.bare_server --port 8099 [--loop daemon|uvloop]``.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import tempfile
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ANSWER = {"event": "0193a1b2c3d4e5f60718293a4b5c", "workflow": "onboarding-4f1c2a9b7d3e5f60"}


async def hook(request: Request) -> Response:
    """Read the body, answer 202 like the bridge does."""
    await request.body()
    return JSONResponse(ANSWER, status_code=202)


async def healthz(_: Request) -> Response:
    """Readiness for the benchmark driver."""
    return JSONResponse({"status": "ok"})


def build_app() -> Starlette:
    """The bare app: the webhook path and /healthz."""
    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/hooks/onboarding", hook, methods=["POST"]),
        ]
    )


def bind(port: int) -> socket.socket:
    """Bind and listen with the daemon's own `Daemon._bind`, on a dry-run config for `port`."""
    from bridge.config.load import load_config
    from bridge.daemon import Daemon

    with tempfile.TemporaryDirectory(prefix="bench-bare-") as tmp:
        config = Path(tmp) / "bridge.yaml"
        config.write_text(
            f"http:\n  listen: 127.0.0.1:{port}\ntriggers:\n  - name: bare\n    on:\n"
            "      webhook:\n        path: /hooks/onboarding\n        auth: none\n"
            "    workflowTemplate: bare\n",
            encoding="utf-8",
        )
        sock: socket.socket = Daemon(load_config(config, environ={}))._bind()
    return sock


def main() -> None:
    """Serve until SIGTERM/SIGINT (uvicorn's own handlers)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=["daemon", "uvloop"], default="daemon")
    args = parser.parse_args()
    sock = bind(args.port)
    if args.loop == "daemon":
        config = uvicorn.Config(build_app(), log_config=None, access_log=False, lifespan="off")
        asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
    else:
        config = uvicorn.Config(
            build_app(), log_config=None, access_log=False, lifespan="off", loop="uvloop"
        )
        uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
