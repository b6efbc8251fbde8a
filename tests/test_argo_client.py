"""The Hera-based client against the Argo Server double: every outcome classified once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from pydantic import SecretStr

from bridge.argo import HeraArgoClient, SubmitResult, TemplateInfo
from bridge.config.model import ArgoSettings
from bridge.errors import PermanentSubmitError, RetryableSubmitError
from bridge.evaluate import Submission
from tests.argo_double import ArgoDouble

SUBMISSION = Submission(
    workflow_name="onboarding-0123456789abcdef",
    template="onboard-employee",
    dedup_key="k",
    parameters=(("email", "a=b@example.org"), ("source", "x")),
    labels=(("trigger-bridge/trigger", "onboarding"), ("trigger-bridge/event", "e1")),
)


@pytest.fixture
def client(argo: ArgoDouble) -> Iterator[HeraArgoClient]:
    settings = ArgoSettings(
        server=argo.url,
        token=SecretStr("test-token"),
        readTimeout=timedelta(milliseconds=300),
    )
    client = HeraArgoClient(settings)
    yield client
    client.close()


def test_submit_creates_then_409_is_success(client: HeraArgoClient, argo: ArgoDouble) -> None:
    assert client.submit(SUBMISSION) == SubmitResult(SUBMISSION.workflow_name, created=True)
    assert client.submit(SUBMISSION) == SubmitResult(SUBMISSION.workflow_name, created=False)
    [workflow] = argo.submissions
    assert workflow["spec"]["arguments"]["parameters"][0] == {"name": "email", "value": "a=b@example.org"}
    assert workflow["metadata"]["labels"]["trigger-bridge/event"] == "e1"


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_errors_are_retryable(client: HeraArgoClient, argo: ArgoDouble, status: int) -> None:
    argo.fail_next(1, status=status, message="try later")
    with pytest.raises(RetryableSubmitError, match=f"answered {status}: try later"):
        client.submit(SUBMISSION)
    assert client.submit(SUBMISSION).created


def test_dropped_connection_and_timeout_are_retryable(client: HeraArgoClient, argo: ArgoDouble) -> None:
    argo.drop_next(1)
    with pytest.raises(RetryableSubmitError, match="cannot reach the Argo Server"):
        client.submit(SUBMISSION)
    argo.delay = 1.0
    with pytest.raises(RetryableSubmitError, match="cannot reach the Argo Server"):
        client.submit(SUBMISSION)


def test_server_down_is_retryable(client: HeraArgoClient, argo: ArgoDouble) -> None:
    argo.stop()
    with pytest.raises(RetryableSubmitError, match="cannot reach"):
        client.submit(SUBMISSION)


def test_client_errors_are_permanent_with_the_servers_message(
    client: HeraArgoClient, argo: ArgoDouble
) -> None:
    missing = Submission("wf-1", "no-such-template", "k", (("email", "x"),), ())
    with pytest.raises(PermanentSubmitError) as caught:
        client.submit(missing)
    assert caught.value.status == 404
    assert str(caught.value) == 'Argo Server answered 404: workflowtemplate.argoproj.io "no-such-template" not found'
    without_email = Submission("wf-2", "onboard-employee", "k", (), ())
    with pytest.raises(PermanentSubmitError, match=r"spec\.arguments\.email\.value or"):
        client.submit(without_email)


def test_wrong_token_waits_for_a_fix(argo: ArgoDouble) -> None:
    client = HeraArgoClient(ArgoSettings(server=argo.url, token=SecretStr("nope")))
    with pytest.raises(RetryableSubmitError) as caught:
        client.submit(SUBMISSION)
    assert caught.value.status == 401
    assert "token not valid" in str(caught.value)
    assert "nope" not in str(caught.value)


def test_get_template(client: HeraArgoClient) -> None:
    assert client.get_template("onboard-employee") == TemplateInfo(
        "onboard-employee", frozenset({"email"}), frozenset({"email", "source"})
    )
    assert client.get_template("absent") is None


def test_client_needs_a_server() -> None:
    with pytest.raises(ValueError, match="dry"):
        HeraArgoClient(ArgoSettings())


def test_the_double_judges_submissions_with_argos_code(client: HeraArgoClient, argo: ArgoDouble) -> None:
    from tests.argo_validators import require_validator

    require_validator("wfvalidate")
    assert argo.argo_submit_rules is not None
    broken = dict(argo.templates[("argo", "onboard-employee")])
    broken["spec"] = {
        **broken["spec"],
        "templates": [{"name": "main", "dag": {"tasks": [{"name": "a", "template": "main", "dependencies": ["ghost"]}]}}],
    }
    argo.templates[("argo", "onboard-employee")] = broken  # stored without the create-time checks
    with pytest.raises(PermanentSubmitError) as caught:
        client.submit(SUBMISSION)
    assert caught.value.status == 400
    assert "ghost" in str(caught.value)
