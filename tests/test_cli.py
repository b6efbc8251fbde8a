"""The command line: exit codes, messages and output people read."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from bridge.cli import main
from bridge.evaluate import evaluate
from bridge.events import make_event, webhook_data
from bridge.journal import Journal, Settlement
from bridge.testing import FakeClock
from tests.argo_double import ArgoDouble
from tests.helpers import loaded, write_config

EVENT = {
    "header": {"X-Request-Id": ["req-7"]},
    "body": {"employee": {"email": "ada@example.org"}},
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    code, out, _ = run(capsys, "validate", "--config", str(config))
    assert code == 0
    assert "3 trigger(s), dry-run (no argo.server)" in out
    assert "onboarding: webhook POST /hooks/onboarding -> onboard-employee" in out


def test_validate_bad_file_lists_every_problem_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("name: onboarding", "name: On").replace("auth: none", "auth: nope"))
    code, out, err = run(capsys, "validate", "--config", str(config))
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[-1] == "2 problem(s) in the configuration"
    assert lines[0].startswith(f"{config}:16: triggers[0].name: 'On' is not a DNS-1123 label")
    assert lines[1].startswith(f"{config}:")
    assert "auth 'nope' is not understood" in lines[1]
    assert "Traceback" not in err


def test_test_command_prints_the_workflow(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    event = tmp_path / "event.json"
    event.write_text(json.dumps(EVENT))
    code, out, _ = run(capsys, "test", "-c", str(config), "-t", "onboarding", "-e", str(event))
    assert code == 0
    assert "workflow:  onboarding-" in out
    assert "template:  onboard-employee" in out
    assert "  email = ada@example.org" in out
    assert "  source = hr-portal" in out
    assert not (tmp_path / "state.db").exists()  # nothing journaled, nothing submitted


def test_test_command_explains_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"header": {"X-Request-Id": ["r"]}, "body": {}}))
    code, _, err = run(capsys, "test", "-c", str(config), "-t", "onboarding", "-e", str(event))
    assert code == 1
    assert "no workflow: the event has no value for parameter email (from body.employee.email)" in err


@pytest.mark.parametrize(
    ("trigger", "content", "message"),
    [
        ("nope", json.dumps(EVENT), "no trigger 'nope'; the file has: onboarding, github, open"),
        ("onboarding", "{not json", "cannot read event"),
        ("onboarding", "[1]", "event data must be a JSON object"),
    ],
)
def test_test_command_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], trigger: str, content: str, message: str
) -> None:
    config = write_config(tmp_path)
    event = tmp_path / "event.json"
    event.write_text(content)
    code, _, err = run(capsys, "test", "-c", str(config), "-t", trigger, "-e", str(event))
    assert code == 2
    assert message in err


def test_history_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = loaded(tmp_path)
    trigger = config.config.triggers[0]
    clock = FakeClock()
    journal = Journal.open(config.state_path)
    events = []
    for request_id, body in [("r1", {"employee": {"email": "a@b"}}), ("r2", {})]:
        ev = make_event("webhook", trigger.name, webhook_data([("X-Request-Id", request_id)], body), clock)
        events.append(ev)
        journal.record([(ev, evaluate(trigger, ev))], clock.now())
    journal.settle([Settlement(events[0].id, "submitted")], clock.now())
    journal.close()

    code, out, _ = run(capsys, "history", "-c", str(config.file))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["RECEIVED", "(UTC)", "EVENT", "TRIGGER", "STATE", "TRIES", "WORKFLOW"]
    assert events[1].id in lines[1]
    assert "failed" in lines[1]
    assert "the event has no value for parameter email" in lines[2]
    assert events[0].id in lines[3]
    assert "submitted" in lines[3]

    code, out, _ = run(capsys, "history", "-c", str(config.file), "--state", "submitted", "--json")
    [row] = [json.loads(line) for line in out.splitlines()]
    assert row["event"] == events[0].id
    assert row["parameters"] == {"email": "a@b", "source": "hr-portal"}


def test_history_without_journal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "history", "-c", str(write_config(tmp_path)))
    assert code == 0
    assert "no journal at" in err


def test_run_refuses_a_taken_port(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        config = write_config(tmp_path, port=port)
        code, _, err = run(capsys, "run", "-c", str(config), "--log-level", "error")
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in err


def test_run_refuses_a_missing_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argo = ArgoDouble(token="test-token").start()
    try:
        config = write_config(tmp_path, server=argo.url)
        code, _, err = run(capsys, "run", "-c", str(config), "--log-level", "error")
    finally:
        argo.stop()
    assert code == 1
    assert "WorkflowTemplate 'onboard-employee' does not exist in namespace 'argo'" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["history"])
    assert caught.value.code == 2
    assert "--config" in capsys.readouterr().err


def test_journal_commands_need_no_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("bearer: hook-token", "bearer: ${UNSET_HOOK_TOKEN_XYZ}"))
    code, _, err = run(capsys, "validate", "-c", str(config))
    assert code == 2
    assert "environment variable UNSET_HOOK_TOKEN_XYZ is not set" in err
    code, _, err = run(capsys, "history", "-c", str(config))
    assert code == 0
    assert "no journal at" in err
