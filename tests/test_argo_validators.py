"""The Argo validators (tests/argo_validators.py) accept good manifests and reject bad ones.

Samples are in tests/data/argo/{valid,invalid}/; each invalid file says in a comment what is
wrong with it. The repo's workflowtemplates/ must pass `argo lint`'s checks.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.argo_validators import (
    Result,
    evvalidate,
    extract_workflows,
    failures,
    report,
    require_validator,
    skip_module_unless_built,
    wfvalidate,
)

skip_module_unless_built()

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((REPO / "workflowtemplates").glob("*.y*ml"))
DATA = REPO / "tests" / "data" / "argo"
VALID = DATA / "valid"
INVALID = DATA / "invalid"
ONBOARD = REPO / "workflowtemplates" / "onboard-employee.yaml"
SENSOR = VALID / "sensor-onboard.yaml"


def only(results: list[Result], file: Path) -> Result:
    """The one result for `file`."""
    mine = [r for r in results if r.file == str(file)]
    assert len(mine) == 1, report(results)
    return mine[0]


# -- wfvalidate -------------------------------------------------------------------------


def test_workflowtemplates_pass_lint() -> None:
    assert TEMPLATES, "workflowtemplates/ has no YAML files"
    results = wfvalidate(TEMPLATES)
    assert not failures(results), report(results)
    assert {r.file for r in results} == {str(t) for t in TEMPLATES}
    assert all(r.kind == "WorkflowTemplate" for r in results), report(results)


@pytest.mark.parametrize(
    ("sample", "kind", "message"),
    [
        ("dag-missing-dependency", "WorkflowTemplate", "invalid dependency no-such-task"),
        ("dag-cycle", "WorkflowTemplate", "graph with cycle"),
        ("undeclared-input", "WorkflowTemplate", "failed to resolve {{inputs.parameters.x}}"),
        (
            "unknown-field",
            "WorkflowTemplate",
            'strict decoding error: unknown field "spec.templates[0].dag.tasks[1].dependencis"',
        ),
        (
            "unknown-template-ref",
            "Workflow",
            'couldn\'t find workflow template "no-such-template" in namespace ""',
        ),
        # argo's parser ignores apiVersion and skips unknown kinds silently; wfvalidate reports both
        (
            "wrong-apiversion",
            "WorkflowTemplate",
            'apiVersion "argoproj.io/v1": want "argoproj.io/v1alpha1"',
        ),
        ("unknown-kind", "WorkflowTemplat", 'kind "WorkflowTemplat" is not checked by wfvalidate'),
    ],
)
def test_wfvalidate_rejects(sample: str, kind: str, message: str) -> None:
    bad = INVALID / f"{sample}.yaml"
    # Given with the real templates, which pass: only the bad file fails.
    results = wfvalidate([*TEMPLATES, bad])
    result = only(results, bad)
    assert not result.ok
    assert result.kind == kind
    assert message in result.error, report(results)
    assert failures(results) == [result], report(results)


def test_submit_requires_every_argument() -> None:
    good = VALID / "workflow-onboard.yaml"
    missing = INVALID / "workflow-onboard-missing-email.yaml"
    # Linting allows arguments without a value (they may come at submission)...
    assert not failures(wfvalidate([ONBOARD, good, missing], mode="lint"))
    # ...a submission does not. The template itself, which declares `email` without a
    # value, still passes in submit mode (it is checked as the server creates it).
    results = wfvalidate([ONBOARD, good, missing], mode="submit")
    assert only(results, ONBOARD).ok, report(results)
    assert only(results, good).ok, report(results)
    bad = only(results, missing)
    assert not bad.ok
    assert bad.error == "spec.arguments.email.value or spec.arguments.email.valueFrom is required"
    # The server's CreateWorkflow (mode create) asks the same of a Workflow.
    assert not only(wfvalidate([ONBOARD, missing], mode="create"), missing).ok


def test_workflow_template_ref_resolves_across_files_only_when_given() -> None:
    good = VALID / "workflow-onboard.yaml"
    result = only(wfvalidate([good], mode="submit"), good)
    assert not result.ok
    assert 'couldn\'t find workflow template "onboard-employee"' in result.error


def test_yaml_errors_carry_file_line_numbers(tmp_path: Path) -> None:
    manifest = tmp_path / "two.yaml"
    manifest.write_text(
        ONBOARD.read_text()
        + "---\n"
        + "apiVersion: argoproj.io/v1alpha1\n"
        + "kind: WorkflowTemplate\n"
        + "metadata: {name: [broken\n"
    )
    broken_line = len(ONBOARD.read_text().splitlines()) + 4
    results = wfvalidate([manifest])
    assert results[0].ok, report(results)
    assert not results[1].ok
    assert results[1].kind == ""  # not readable as an object
    assert f"line {broken_line}" in results[1].error, report(results)


def test_files_without_objects_fail(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n---\n")
    assert [(r.ok, r.error) for r in wfvalidate([empty])] == [(False, "no Kubernetes object found")]


def test_wfvalidate_text_output_and_exit_codes() -> None:
    binary = str(require_validator("wfvalidate"))
    bad = INVALID / "dag-cycle.yaml"
    run = subprocess.run(
        [binary, str(ONBOARD), str(bad)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        f"OK {ONBOARD}: WorkflowTemplate/onboard-employee",
        f"ERROR {bad}: WorkflowTemplate/dag-cycle: templates.main sorting failed: graph with cycle",
    ]
    assert subprocess.run([binary, str(ONBOARD)], capture_output=True, check=False).returncode == 0
    for usage in ([], ["--mode", "apply", str(ONBOARD)], ["--nope"]):
        assert subprocess.run([binary, *usage], capture_output=True, check=False).returncode == 2


# -- evvalidate ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("eventsource-webhook", "EventSource"),
        ("eventsource-calendar", "EventSource"),
        ("eventsource-minio", "EventSource"),
        ("sensor-onboard", "Sensor"),
    ],
)
def test_evvalidate_accepts(sample: str, kind: str) -> None:
    results = evvalidate([VALID / f"{sample}.yaml"])
    assert [(r.kind, r.ok) for r in results] == [(kind, True)], report(results)


@pytest.mark.parametrize(
    ("sample", "message"),
    [
        (
            "eventsource-webhook-calendar-mixed",
            "event sources with rolling update and recreate update strategy can not be put together",
        ),
        (
            # upstream's `argo-events lint` would drop the field and pass the Sensor
            "sensor-atleastonce-in-template",
            'strict decoding error: unknown field "spec.triggers[0].template.atLeastOnce"',
        ),
        ("sensor-no-dependencies", "no event dependencies found"),
    ],
)
def test_evvalidate_rejects(sample: str, message: str) -> None:
    results = evvalidate([INVALID / f"{sample}.yaml"])
    assert len(results) == 1, report(results)
    assert not results[0].ok
    assert results[0].error == message


def test_evvalidate_text_output_and_exit_codes() -> None:
    binary = str(require_validator("evvalidate"))
    bad = INVALID / "sensor-no-dependencies.yaml"
    run = subprocess.run(
        [binary, str(SENSOR), str(bad)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 1
    assert run.stdout.splitlines() == [
        f"OK {SENSOR}: Sensor/onboarding",
        f"ERROR {bad}: Sensor/no-dependencies: no event dependencies found",
    ]
    assert subprocess.run([binary], capture_output=True, check=False).returncode == 2


# -- a Sensor's Workflow, checked as a submission -----------------------------------------


def test_sensor_workflow_passes_submit_with_its_template(tmp_path: Path) -> None:
    extracted = extract_workflows([SENSOR, VALID / "eventsource-webhook.yaml"])
    workflows = [d for d in yaml.safe_load_all(extracted) if d]
    assert len(workflows) == 1
    assert workflows[0]["kind"] == "Workflow"
    assert workflows[0]["spec"]["workflowTemplateRef"] == {"name": "onboard-employee"}
    path = tmp_path / "sensor-workflows.yaml"
    path.write_text(extracted)
    results = wfvalidate([path, ONBOARD], mode="submit")
    assert not failures(results), report(results)
    assert only(results, path).kind == "Workflow"


def test_sensor_workflow_without_required_argument_fails_submit(tmp_path: Path) -> None:
    sensor = yaml.safe_load(SENSOR.read_text())
    trigger = sensor["spec"]["triggers"][0]["template"]["argoWorkflow"]
    parameters = trigger["source"]["resource"]["spec"]["arguments"]["parameters"]
    trigger["source"]["resource"]["spec"]["arguments"]["parameters"] = [
        p for p in parameters if p["name"] != "email"
    ]
    trigger["parameters"] = trigger["parameters"][1:]
    trigger["parameters"][0]["dest"] = "spec.arguments.parameters.0.value"
    changed = tmp_path / "sensor.yaml"
    changed.write_text(yaml.safe_dump(sensor))
    # Argo Events does not look inside the Workflow: the Sensor itself passes...
    assert not failures(evvalidate([changed]))
    # ...but the Workflow it would submit is refused.
    path = tmp_path / "sensor-workflows.yaml"
    path.write_text(extract_workflows([changed]))
    result = only(wfvalidate([path, ONBOARD], mode="submit"), path)
    assert not result.ok
    assert "spec.arguments.email.value" in result.error


def test_extract_workflows_without_argo_workflow_triggers_is_empty() -> None:
    assert extract_workflows([INVALID / "sensor-no-dependencies.yaml"]) == ""
