"""The ingest baseline: a trivial Starlette route on the daemon's HTTP stack, answering 202 JSON.

``--loop daemon`` serves exactly as `bridge.daemon.Daemon.serve` does: ``asyncio.run`` of
``uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
.serve(sockets=[sock])`` on a socket bound the same way. Because ``Server.serve`` (unlike
``Server.run``) never applies uvicorn's loop factory, that is the stdlib asyncio loop with
httptools (uvicorn's ``http="auto"``), not uvloop. ``--loop uvloop`` serves through
``Server.run``, i.e. uvicorn's defaults with uvloop, for reference. ``--nodelay`` creates the
socket with ``IPPROTO_TCP`` instead of the daemon's protocol 0, so asyncio sets TCP_NODELAY on
accepted connections (it skips sockets whose ``proto`` is 0); uvloop always sets it. The route
reads the whole body and answers an object shaped like the bridge's 202.

Run: ``python -m bench.bare_server --port 8099 [--loop daemon|uvloop] [--nodelay]``.
"""

from __future__ import annotations

import argparse
import asyncio
import socket

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


def bind(port: int, nodelay: bool) -> socket.socket:
    """Bind and listen as `Daemon._bind` does (protocol 0), or with IPPROTO_TCP if `nodelay`."""
    proto = socket.IPPROTO_TCP if nodelay else 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def main() -> None:
    """Serve until SIGTERM/SIGINT (uvicorn's own handlers)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--loop", choices=["daemon", "uvloop"], default="daemon")
    parser.add_argument("--nodelay", action="store_true", help="socket with IPPROTO_TCP")
    args = parser.parse_args()
    sock = bind(args.port, args.nodelay)
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
