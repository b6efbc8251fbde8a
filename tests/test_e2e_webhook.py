"""End to end: webhooks over real HTTP → journal → dispatcher → the Argo Server double."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable

import pytest

from bridge.daemon import StartupError
from bridge.evaluate import EVENT_LABEL, TRIGGER_LABEL
from bridge.naming import workflow_name
from tests.argo_double import ArgoDouble
from tests.conftest import RunningBridge, eventually

Start = Callable[..., Awaitable[RunningBridge]]
EMPLOYEE = {"employee": {"email": "ada@example.org"}}
GOOD = {"Authorization": "Bearer hook-token", "X-Request-Id": "req-1"}


async def test_good_token_starts_exactly_one_workflow(
    start_bridge: Start, argo: ArgoDouble
) -> None:
    bridge = await start_bridge(argo)
    response = await bridge.post("/hooks/onboarding", EMPLOYEE, **GOOD)
    assert response.status_code == 202
    answer = response.json()
    assert answer["workflow"] == workflow_name("onboarding", "req-1")
    await eventually(lambda: argo.submit_count() == 1)
    [workflow] = argo.submissions
    assert workflow["metadata"]["name"] == answer["workflow"]
    assert workflow["spec"]["workflowTemplateRef"] == {"name": "onboard-employee"}
    assert workflow["spec"]["arguments"]["parameters"] == [
        {"name": "email", "value": "ada@example.org"},
        {"name": "source", "value": "hr-portal"},
    ]
    labels = workflow["metadata"]["labels"]
    assert labels[TRIGGER_LABEL] == "onboarding"
    assert labels[EVENT_LABEL] == answer["event"]
    assert labels["workflows.argoproj.io/workflow-template"] == "onboard-employee"
    await eventually(lambda: _state(bridge, answer["event"]) == "submitted")


async def test_same_dedup_key_twice_gives_one_workflow(
    start_bridge: Start, argo: ArgoDouble
) -> None:
    bridge = await start_bridge(argo)
    first = await bridge.post("/hooks/onboarding", EMPLOYEE, **GOOD)
    second = await bridge.post("/hooks/onboarding", EMPLOYEE, **GOOD)
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()["workflow"] == first.json()["workflow"]
    assert second.json()["duplicateOf"] == first.json()["event"]
    await eventually(lambda: _state(bridge, first.json()["event"]) == "submitted")
    assert argo.submit_count() == 1
    assert _state(bridge, second.json()["event"]) == "deduplicated"


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "error"),
    [
        ("/hooks/onboarding", EMPLOYEE, {"Authorization": "Bearer wrong"}, 401, "unauthorized"),
        ("/hooks/onboarding", EMPLOYEE, {}, 401, "unauthorized"),
        (
            "/hooks/github",
            EMPLOYEE,
            {"X-Hub-Signature-256": "sha256=" + "0" * 64},
            401,
            "unauthorized",
        ),
        ("/hooks/onboarding", b"x" * (1024 * 1024 + 1), GOOD, 413, "larger than 1048576 bytes"),
        ("/hooks/onboarding", b'{"employee": ', GOOD, 400, "not valid JSON"),
        ("/hooks/nope", EMPLOYEE, GOOD, 404, "no webhook trigger"),
    ],
)
async def test_bad_requests_are_refused_and_start_nothing(
    start_bridge: Start,
    argo: ArgoDouble,
    path: str,
    body: object,
    headers: dict[str, str],
    status: int,
    error: str,
) -> None:
    bridge = await start_bridge(argo)
    response = await bridge.post(path, body, **headers)
    assert response.status_code == status
    assert error in response.json()["error"]
    assert "hook-token" not in response.text
    assert bridge.daemon.loaded.state_path.exists()
    assert _count(bridge) == 0


async def test_wrong_method_is_405_with_allow(start_bridge: Start, argo: ArgoDouble) -> None:
    bridge = await start_bridge(argo)
    response = await bridge.http.get("/hooks/onboarding")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_github_style_hmac(start_bridge: Start, argo: ArgoDouble) -> None:
    bridge = await start_bridge(argo)
    body = json.dumps({"pusher": {"email": "dev@example.org"}}).encode()
    signature = "sha256=" + hmac.new(b"gh-secret", body, hashlib.sha256).hexdigest()
    response = await bridge.post("/hooks/github", body, **{"X-Hub-Signature-256": signature})
    assert response.status_code == 202
    await eventually(lambda: argo.submit_count() == 1)
    assert argo.submissions[0]["spec"]["arguments"]["parameters"] == [
        {"name": "email", "value": "dev@example.org"}
    ]


async def test_missing_parameter_is_422_and_journaled(
    start_bridge: Start, argo: ArgoDouble
) -> None:
    bridge = await start_bridge(argo)
    response = await bridge.post("/hooks/onboarding", {"employee": {}}, **GOOD)
    assert response.status_code == 422
    assert "email (from body.employee.email)" in response.json()["error"]
    assert _state(bridge, response.json()["event"]) == "failed"
    assert argo.submit_count() == 0


async def test_argo_answering_500_for_a_while(start_bridge: Start, argo: ArgoDouble) -> None:
    argo.fail_until_cleared(500)
    bridge = await start_bridge(argo)
    events = []
    for i in range(5):
        response = await bridge.post(
            "/hooks/onboarding", EMPLOYEE, **{**GOOD, "X-Request-Id": f"r{i}"}
        )
        events.append(response.json()["event"])
    await eventually(lambda: all(_attempts(bridge, e) >= 2 for e in events))
    assert argo.submit_count() == 0
    argo.clear_faults()
    await eventually(lambda: all(_state(bridge, e) == "submitted" for e in events))
    names = [w["metadata"]["name"] for w in argo.submissions]
    assert sorted(names) == sorted(workflow_name("onboarding", f"r{i}") for i in range(5))


async def test_dropped_connections_and_timeouts_end_in_one_workflow(
    start_bridge: Start, argo: ArgoDouble
) -> None:
    bridge = await start_bridge(argo, read_timeout="300ms")
    argo.drop_next(2)
    first = await bridge.post("/hooks/onboarding", EMPLOYEE, **GOOD)
    await eventually(lambda: _state(bridge, first.json()["event"]) == "submitted")
    assert _attempts(bridge, first.json()["event"]) == 3
    argo.delay = 1.0  # the server creates the workflow after the bridge stopped waiting
    second = await bridge.post("/hooks/onboarding", EMPLOYEE, **{**GOOD, "X-Request-Id": "req-2"})
    await eventually(lambda: _attempts(bridge, second.json()["event"]) >= 2)
    argo.delay = 0
    await eventually(lambda: _state(bridge, second.json()["event"]) == "submitted")
    assert [w["metadata"]["name"] for w in argo.submissions] == [
        first.json()["workflow"],
        second.json()["workflow"],
    ]


async def test_a_400_from_argo_is_final_with_its_message(
    start_bridge: Start, argo: ArgoDouble
) -> None:
    bridge = await start_bridge(argo)
    argo.add_template("onboard-employee", parameters=[{"name": "email"}, {"name": "team"}])
    response = await bridge.post("/hooks/onboarding", EMPLOYEE, **GOOD)
    event_id = response.json()["event"]
    await eventually(lambda: _state(bridge, event_id) == "failed")
    row = bridge.loaded.state_path and _row(bridge, event_id)
    assert row.last_error == (
        "Argo Server answered 400: spec.arguments.team.value or spec.arguments.team.valueFrom is required"
    )
    assert row.attempts == 1


async def test_start_refused_when_template_is_missing(start_bridge: Start) -> None:
    empty = ArgoDouble(token="test-token").start()
    try:
        with pytest.raises(StartupError) as caught:
            await start_bridge(empty)
    finally:
        empty.stop()
    assert "trigger 'onboarding': WorkflowTemplate 'onboard-employee' does not exist" in str(
        caught.value
    )


async def test_start_refused_when_a_required_parameter_is_not_supplied(
    start_bridge: Start, argo: ArgoDouble
) -> None:
    argo.add_template("onboard-employee", parameters=[{"name": "email"}, {"name": "team"}])
    with pytest.raises(StartupError) as caught:
        await start_bridge(argo)
    assert (
        "trigger 'onboarding' does not supply parameter(s) team that WorkflowTemplate "
        "'onboard-employee' requires"
    ) in str(caught.value)


async def test_dry_run_submits_nothing(start_bridge: Start, argo: ArgoDouble) -> None:
    bridge = await start_bridge(None)
    response = await bridge.post("/hooks/onboarding", EMPLOYEE, **GOOD)
    assert response.status_code == 202
    await eventually(lambda: _state(bridge, response.json()["event"]) == "dry-run")
    assert argo.submit_count() == 0
    ready = await bridge.http.get("/readyz")
    assert ready.json()["dryRun"] is True


def _row(bridge: RunningBridge, event_id: str):  # type: ignore[no-untyped-def]
    from bridge.journal import Journal

    journal = Journal.open(bridge.loaded.state_path)
    try:
        row = journal.get(event_id)
    finally:
        journal.close()
    assert row is not None
    return row


def _state(bridge: RunningBridge, event_id: str) -> str:
    return _row(bridge, event_id).state


def _attempts(bridge: RunningBridge, event_id: str) -> int:
    return _row(bridge, event_id).attempts


def _count(bridge: RunningBridge) -> int:
    from bridge.journal import Journal

    journal = Journal.open(bridge.loaded.state_path)
    try:
        return sum(journal.counts().values())
    finally:
        journal.close()
