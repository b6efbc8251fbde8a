"""Logs are part of the interface: one line per event step, secrets never appear."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import structlog
from structlog.testing import capture_logs

from bridge.logs import configure_logging, redact
from tests.argo_double import ArgoDouble
from tests.conftest import RunningBridge, eventually

Start = Callable[..., Awaitable[RunningBridge]]


async def test_each_event_step_is_one_log_line(start_bridge: Start, argo: ArgoDouble) -> None:
    with capture_logs() as logs:
        bridge = await start_bridge(argo)
        response = await bridge.post(
            "/hooks/onboarding",
            {"employee": {"email": "a@b"}},
            Authorization="Bearer hook-token",
            **{"X-Request-Id": "r1"},
        )
        await bridge.post("/hooks/onboarding", {}, Authorization="Bearer wrong")
        await eventually(lambda: any(e["event"] == "workflow_submitted" for e in logs))
        await bridge.stop()
    answer = response.json()
    steps = {e["event"]: e for e in logs}
    for name in ("event_journaled", "workflow_submitted"):
        assert steps[name]["trigger"] == "onboarding"
        assert steps[name]["event_id"] == answer["event"]
        assert steps[name]["workflow"] == answer["workflow"]
    assert steps["webhook_rejected"]["status"] == 401
    text = json.dumps(logs, default=str)
    assert "hook-token" not in text
    assert "test-token" not in text
    assert "wrong" not in text


def test_redact_blanks_secret_fields() -> None:
    event = {"event": "x", "Authorization": "Bearer t", "argo_token": "t", "hmac_secret": "s", "ok": 1}
    assert redact(None, "info", event) == {
        "event": "x",
        "Authorization": "[redacted]",
        "argo_token": "[redacted]",
        "hmac_secret": "[redacted]",
        "ok": 1,
    }


def test_json_output_is_one_object_per_line(capsys: object) -> None:
    configure_logging("info", json=True)
    try:
        structlog.get_logger("t").info("event_journaled", trigger="a", token="secret")
        err = capsys.readouterr().err  # type: ignore[attr-defined]
    finally:
        structlog.reset_defaults()
    [line] = err.splitlines()
    record = json.loads(line)
    assert record["event"] == "event_journaled"
    assert record["token"] == "[redacted]"
    assert record["level"] == "info"
