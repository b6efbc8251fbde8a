"""WorkflowTemplates: lint by Argo's rules, then diff and apply against the Argo Server double."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bridge.argo import HeraArgoClient
from bridge.cli import main
from bridge.config.load import load_config
from bridge.config.model import ArgoSettings
from bridge.preflight import check_templates
from tests.argo_double import ArgoDouble
from tests.argo_validators import require_validator

ROOT = Path(__file__).parent.parent
TEMPLATES = ROOT / "workflowtemplates"
INVALID = ROOT / "tests" / "data" / "argo" / "invalid"


@pytest.fixture(autouse=True)
def _validators() -> None:
    require_validator("wfvalidate")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_repository_templates_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "templates", "lint", str(TEMPLATES))
    assert (code, err) == (0, "")
    assert out == "3 template(s) pass Argo's validation\n"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("dag-missing-dependency.yaml", "invalid dependency"),
        ("dag-cycle.yaml", "graph with cycle"),
        ("undeclared-input.yaml", "failed to resolve {{inputs.parameters.x}}"),
        ("unknown-field.yaml", 'unknown field "spec.templates[0].dag.tasks[1].dependencis"'),
        ("wrong-apiversion.yaml", "apiVersion is 'argoproj.io/v1'; write argoproj.io/v1alpha1"),
    ],
)
def test_machine_written_mistakes_are_refused_with_a_reason(
    capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    code, _, err = run(capsys, "templates", "lint", str(INVALID / name))
    assert code == 2
    assert str(INVALID / name) in err
    assert message in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata:\n\tname: x\n", ":4: invalid YAML"),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\nmetadata: {name: x}\n"
            "spec: {entrypoint: main}\nspec: {entrypoint: other}\n",
            ":5: spec: key given twice (first at line 4)",
        ),
        ("apiVersion: v1\nkind: ConfigMap\n", "kind is 'ConfigMap'; this folder holds WorkflowTemplates"),
    ],
)
def test_yaml_mistakes_name_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    code, _, err = run(capsys, "templates", "lint", str(path))
    assert code == 2
    assert f"{path}{message}" in err or message in err


def test_one_bad_file_among_good_ones_fails_the_lot(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "templates", "lint", str(TEMPLATES), str(INVALID / "dag-cycle.yaml"))
    assert code == 2
    assert err.splitlines()[-1] == "1 problem(s)"


@pytest.fixture
def argo() -> Iterator[ArgoDouble]:
    double = ArgoDouble(token="test-token").start()
    yield double
    double.stop()


@pytest.fixture
def config(tmp_path: Path, argo: ArgoDouble) -> Path:
    path = tmp_path / "bridge.yaml"
    path.write_text(
        f"argo: {{server: '{argo.url}', token: test-token}}\n"
        "triggers:\n  - {name: t, on: {webhook: {path: /h, auth: none}}, workflowTemplate: onboard-employee}\n"
    )
    return path


def test_apply_creates_then_changes_nothing_then_updates(
    tmp_path: Path, config: Path, argo: ArgoDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    code, out, _ = run(capsys, "templates", "apply", str(folder), "-c", str(config))
    assert code == 0
    assert sorted(line for line in out.splitlines() if line.startswith("created")) == [
        "created: drone-pipeline",
        "created: nightly-report",
        "created: onboard-employee",
    ]
    assert sorted(name for _, name in argo.templates) == ["drone-pipeline", "nightly-report", "onboard-employee"]

    code, out, _ = run(capsys, "templates", "apply", str(folder), "-c", str(config))
    assert code == 0
    assert out.count("unchanged: ") == 3
    assert "created" not in out
    assert "updated" not in out

    edited = folder / "nightly-report.yaml"
    body = yaml.safe_load(edited.read_text())
    body["spec"]["arguments"]["parameters"][1]["value"] = "registry.example.org/reports:2.0"
    edited.write_text(yaml.safe_dump(body))
    code, out, _ = run(capsys, "templates", "diff", str(folder), "-c", str(config))
    assert code == 0
    assert "changed: nightly-report" in out
    assert "-    value: registry.example.org/reports:1.0" in out
    assert "+    value: registry.example.org/reports:2.0" in out
    code, out, _ = run(capsys, "templates", "apply", str(folder), "-c", str(config), "--dry-run")
    assert "updated" not in out
    code, out, _ = run(capsys, "templates", "apply", str(folder), "-c", str(config))
    assert code == 0
    assert "updated: nightly-report" in out
    stored = argo.templates[("argo", "nightly-report")]
    assert stored["spec"]["arguments"]["parameters"][1]["value"] == "registry.example.org/reports:2.0"

    # the examples' triggers now find what they need on the server
    for example in ("bridge.yaml", "drone.yaml"):
        loaded = load_config(ROOT / "examples" / example, need_env=False)
        client = HeraArgoClient(ArgoSettings(server=argo.url, token="test-token"))  # type: ignore[arg-type]
        assert check_templates(client, loaded.config.triggers, "argo").problems == []
        client.close()


def test_a_concurrent_change_is_a_conflict_not_an_overwrite(tmp_path: Path, argo: ArgoDouble) -> None:
    from bridge.templates import apply, lint, plan

    client = HeraArgoClient(ArgoSettings(server=argo.url, token="test-token"))  # type: ignore[arg-type]
    report = lint([TEMPLATES / "nightly-report.yaml"])
    apply(client, plan(client, report.templates))
    body = yaml.safe_load((TEMPLATES / "nightly-report.yaml").read_text())
    body["spec"]["entrypoint"] = "report"
    body["spec"]["arguments"]["parameters"][1]["value"] = "mine"
    from bridge.templates import Template

    changes = plan(client, [Template(TEMPLATES / "nightly-report.yaml", "nightly-report", body)])
    assert changes[0].action == "update"
    theirs = HeraArgoClient(ArgoSettings(server=argo.url, token="test-token"))  # type: ignore[arg-type]
    current = theirs.get_template_object("nightly-report")
    assert current is not None
    current["spec"]["arguments"]["parameters"][1]["value"] = "someone else's"
    theirs.update_template(current)
    [(_, error)] = apply(client, changes)
    assert error is not None
    assert error.startswith("conflict: changed on the server since it was read")
    stored = argo.templates[("argo", "nightly-report")]
    assert stored["spec"]["arguments"]["parameters"][1]["value"] == "someone else's"
    client.close()
    theirs.close()


def test_apply_lints_first_and_applies_nothing_on_error(
    tmp_path: Path, config: Path, argo: ArgoDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "templates", "apply", str(TEMPLATES), str(INVALID / "dag-cycle.yaml"), "-c", str(config))
    assert code == 2
    assert "nothing applied" in err
    assert argo.templates == {}


def test_diff_and_apply_need_a_server(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "templates", "diff", str(TEMPLATES))
    assert code == 2
    assert "needs --config with argo.server" in err


def test_validate_checks_triggers_against_template_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bridge.yaml"
    config.write_text(
        "triggers:\n"
        "  - {name: a, on: {webhook: {path: /a, auth: none}}, workflowTemplate: onboard-employee,\n"
        "     parameters: [{name: email, value: x}, {name: shoe-size, value: '44'}]}\n"
        "  - {name: b, on: {webhook: {path: /b, auth: none}}, workflowTemplate: drone-pipeline}\n"
        "  - {name: c, on: {webhook: {path: /c, auth: none}}, workflowTemplate: no-such-template}\n"
    )
    code, _, err = run(capsys, "validate", "-c", str(config), "--templates", str(TEMPLATES))
    assert code == 2
    lines = err.splitlines()
    assert any("trigger 'a' passes parameter(s) shoe-size that WorkflowTemplate 'onboard-employee' does not declare" in line for line in lines)
    assert any("trigger 'b' does not supply parameter(s) bucket, key that WorkflowTemplate 'drone-pipeline' requires" in line for line in lines)
    assert any(f"trigger 'c': WorkflowTemplate 'no-such-template' does not exist in {TEMPLATES}" in line for line in lines)


@pytest.mark.parametrize("name", ["dag-cycle.yaml", "undeclared-input.yaml", "dag-missing-dependency.yaml"])
def test_the_double_refuses_what_argo_would_on_create(argo: ArgoDouble, name: str) -> None:
    from bridge.errors import PermanentSubmitError
    from tests.argo_validators import argo_rules

    argo.argo_rules = argo_rules
    client = HeraArgoClient(ArgoSettings(server=argo.url, token="test-token"))  # type: ignore[arg-type]
    body = yaml.safe_load((INVALID / name).read_text())
    with pytest.raises(PermanentSubmitError) as caught:
        client.create_template(body)
    assert caught.value.status == 400
    for good in TEMPLATES.glob("*.yaml"):
        client.create_template(yaml.safe_load(good.read_text()))
    client.close()
    assert len(argo.templates) == 3
