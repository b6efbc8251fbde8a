"""The pure core: the same event always gives the same whole submission, or a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.evaluate import EVENT_LABEL, TRIGGER_LABEL, Failure, Submission, evaluate
from bridge.events import webhook_data
from bridge.naming import workflow_name
from tests.helpers import event, loaded


@pytest.fixture
def triggers(tmp_path: Path) -> dict[str, object]:
    return {t.name: t for t in loaded(tmp_path).config.triggers}


def test_submission_has_name_template_parameters_and_labels(triggers: dict) -> None:
    data = webhook_data([("x-request-id", "r-1")], {"employee": {"email": "ada@example.org"}})
    ev = event(triggers["onboarding"], data)
    decision = evaluate(triggers["onboarding"], ev)
    assert decision == Submission(
        workflow_name=workflow_name("onboarding", "r-1"),
        template="onboard-employee",
        dedup_key="r-1",
        parameters=(("email", "ada@example.org"), ("source", "hr-portal")),
        labels=((TRIGGER_LABEL, "onboarding"), (EVENT_LABEL, ev.id)),
    )


def test_same_dedup_key_same_name_different_event(triggers: dict) -> None:
    one = webhook_data([("X-Request-Id", "r-1")], {"employee": {"email": "a"}})
    two = webhook_data([("X-Request-Id", "r-1")], {"employee": {"email": "b"}})
    first = evaluate(triggers["onboarding"], event(triggers["onboarding"], one))
    second = evaluate(triggers["onboarding"], event(triggers["onboarding"], two))
    assert isinstance(first, Submission)
    assert isinstance(second, Submission)
    assert first.workflow_name == second.workflow_name


def test_without_dedup_key_each_event_is_its_own_run(triggers: dict) -> None:
    data = webhook_data([], {"email": "a"})
    trigger = triggers["open"]
    a = evaluate(trigger, event(trigger, data))
    b = evaluate(trigger, event(trigger, {**data, "x": 1}))
    assert isinstance(a, Submission)
    assert isinstance(b, Submission)
    assert a.workflow_name != b.workflow_name


def test_missing_parameter_fails_whole(triggers: dict) -> None:
    data = webhook_data([("X-Request-Id", "r-1")], {"employee": {}})
    decision = evaluate(triggers["onboarding"], event(triggers["onboarding"], data))
    assert isinstance(decision, Failure)
    assert "email (from body.employee.email)" in decision.reason
    assert decision.workflow_name == workflow_name("onboarding", "r-1")


def test_missing_dedup_key_fails(triggers: dict) -> None:
    data = webhook_data([], {"employee": {"email": "a"}})
    decision = evaluate(triggers["onboarding"], event(triggers["onboarding"], data))
    assert isinstance(decision, Failure)
    assert "no dedup key at header.X-Request-Id.0" in decision.reason


def test_default_fills_a_missing_value(triggers: dict) -> None:
    trigger = triggers["open"]
    decision = evaluate(trigger, event(trigger, webhook_data([], {})))
    assert isinstance(decision, Submission)
    assert decision.parameters == (("email", "nobody@example.org"),)


def test_non_string_values_render_as_text(triggers: dict) -> None:
    trigger = triggers["open"]
    decision = evaluate(trigger, event(trigger, webhook_data([], {"email": {"a": [1, True]}})))
    assert isinstance(decision, Submission)
    assert decision.parameters == (("email", '{"a":[1,true]}'),)


def test_a_failure_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        Failure("")
