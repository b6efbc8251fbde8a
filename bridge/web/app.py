"""The ASGI app: one route per webhook trigger and per MinIO webhook target, plus health checks.

A webhook request is checked in this order: path (404), method (405), size (413, before and
while reading), authentication (401, identical for every cause), body (400 with the reason),
then journaled. The answer comes only after the commit: 202 with the event id and the workflow
name it will get, 422 when the event was journaled as failed (a parameter missing, say), 503
when the journal could not commit (the sender should retry). Every rejection is logged without
the request's credentials.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bridge.config.model import HttpSettings, Trigger
from bridge.config.webhook import WebhookAuth
from bridge.errors import JournalError
from bridge.events import minio_data, webhook_data
from bridge.ingest import Ingest
from bridge.sources.minio_records import matches, records_from_webhook
from bridge.sources.webhook import BadBodyError, authenticate, decode_body

__all__ = ["create_app"]

log = structlog.get_logger("bridge.web")

Readiness = Callable[[], Awaitable[dict[str, Any]]]


class _BodyTooLargeError(Exception):
    """The body exceeds the limit."""


def create_app(
    triggers: Sequence[Trigger], ingest: Ingest, http: HttpSettings, readiness: Readiness
) -> Starlette:
    """Build the app for the triggers served over HTTP; `readiness` fills ``/readyz``."""
    routes: dict[str, dict[str, Trigger]] = {}
    for trigger in triggers:
        route = trigger.route
        if route is not None:
            routes.setdefault(route[0], {})[route[1]] = trigger

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        state = await readiness()
        return JSONResponse(state, status_code=200 if state.get("ready") else 503)

    async def webhook(request: Request) -> Response:
        by_method = routes.get(request.url.path)
        if by_method is None:
            return _reject(request, 404, "no webhook trigger at this path")
        trigger = by_method.get(request.method)
        if trigger is None:
            return _reject(
                request, 405, "method not allowed", {"Allow": ", ".join(sorted(by_method))}
            )
        receive = _receive_minio if trigger.on.minio is not None else _receive
        return await receive(request, trigger, ingest, http)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/{path:path}", webhook, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
    )


async def _receive(
    request: Request, trigger: Trigger, ingest: Ingest, http: HttpSettings
) -> Response:
    hook = trigger.on.webhook
    assert hook is not None
    body = await _checked_body(
        request, trigger, hook.auth, hook.max_body_bytes or http.max_body_bytes
    )
    if isinstance(body, Response):
        return body
    try:
        payload = decode_body(request.headers.get("content-type", "application/json"), body)
    except BadBodyError as exc:
        return _reject(request, 400, str(exc), trigger=trigger.name)
    data = webhook_data(request.headers.items(), payload)
    try:
        recorded = await ingest.accept("webhook", trigger, data)
    except JournalError as exc:
        return _not_stored(trigger, exc)
    if recorded.state == "failed":
        return JSONResponse({"event": recorded.event_id, "error": recorded.reason}, status_code=422)
    answer: dict[str, Any] = {"event": recorded.event_id, "workflow": recorded.workflow}
    if recorded.duplicate_of is not None:
        answer["duplicateOf"] = recorded.duplicate_of
    return JSONResponse(answer, status_code=202)


async def _receive_minio(
    request: Request, trigger: Trigger, ingest: Ingest, http: HttpSettings
) -> Response:
    """MinIO's webhook target: journal each matching record, then answer 200 at once.

    Any 2xx releases the event from MinIO's queue, and a non-2xx blocks every event behind it, so
    once journaled the answer is 200 even for events whose workflow will fail.
    """
    spec = trigger.on.minio
    assert spec is not None
    assert spec.webhook is not None
    limit = spec.webhook.max_body_bytes or http.max_body_bytes
    body = await _checked_body(request, trigger, spec.webhook.auth, limit)
    if isinstance(body, Response):
        return body
    try:
        records = records_from_webhook(decode_body("application/json", body), spec.key_encoding)
    except BadBodyError as exc:
        return _reject(request, 400, str(exc), trigger=trigger.name)
    wanted = [minio_data(r) for r in records if matches(spec, r)]
    try:  # one accept per record: concurrent deliveries then share the group commit
        recorded = await asyncio.gather(*(ingest.accept("minio", trigger, d) for d in wanted))
    except JournalError as exc:
        return _not_stored(trigger, exc)
    answer = {"events": [r.event_id for r in recorded], "ignored": len(records) - len(wanted)}
    return JSONResponse(answer, status_code=200)


async def _checked_body(
    request: Request, trigger: Trigger, auth: WebhookAuth, limit: int
) -> bytes | Response:
    """Read the body within `limit` and authenticate; a rejection comes back as the Response."""
    try:
        body = await _read_limited(request, limit)
    except _BodyTooLargeError:
        return _reject(request, 413, f"the body is larger than {limit} bytes", trigger=trigger.name)
    if not authenticate(auth, request.headers, body):
        headers = {"WWW-Authenticate": "Bearer"} if auth.bearer is not None else None
        return _reject(request, 401, "unauthorized", headers, trigger=trigger.name)
    return body


def _not_stored(trigger: Trigger, exc: JournalError) -> Response:
    log.error("journal_write_failed", trigger=trigger.name, error=str(exc))
    return JSONResponse({"error": "the event could not be stored; retry later"}, status_code=503)


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _BodyTooLargeError
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


def _reject(
    request: Request,
    status: int,
    reason: str,
    headers: dict[str, str] | None = None,
    trigger: str | None = None,
) -> Response:
    log.warning(
        "webhook_rejected",
        status=status,
        method=request.method,
        path=request.url.path,
        trigger=trigger,
        reason=reason,
        client=request.client.host if request.client else None,
    )
    return JSONResponse({"error": reason}, status_code=status, headers=headers)
