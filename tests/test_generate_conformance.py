"""Generated manifests judged by Argo's own validation code (tests/argo_validators.py).

- every generated EventSource and Sensor (the committed sensors/ and a trigger file with every
  shape the generator makes) passes argo-events v1.9.11's ValidateEventSource / ValidateSensor
  on a strict decode (unknown or misplaced keys are errors);
- the Workflow inside each Sensor trigger passes Argo Workflows' validation in Submit mode
  (what the Argo Server applies to a submission from a template) against workflowtemplates/,
  both as written and with the Sensor's parameters applied to a sample event;
- negative cases prove each check can fail.

The templates are given the namespace the Workflows are submitted to (`argo.namespace`), as
they are installed: the validator resolves workflowTemplateRef within a namespace. Without the
validator binaries (scripts/install-validators) the module is skipped, except on CI.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.config.load import load_config
from bridge.generate import generate
from tests.argo_validators import (
    evvalidate,
    extract_workflows,
    failures,
    report,
    skip_module_unless_built,
    wfvalidate,
)
from tests.test_generate_parity import apply_sensor

skip_module_unless_built()

ROOT = Path(__file__).resolve().parent.parent
SENSORS = ROOT / "sensors"
GENERATED = sorted(SENSORS.rglob("*.yaml"))
TEMPLATES = sorted((ROOT / "workflowtemplates").glob("*.yaml"))
EVENTS = ROOT / "examples" / "events"
NAMESPACE = "argo"  # argo.namespace of every example

# Every shape the generator makes, on the repo's templates: several crons, catch-up none,
# minio without prefix/suffix, hmac and open hooks, PUT, payload paths resolved now.
SHAPES = """
argo: {namespace: argo}
minio: {endpoint: "minio:9000", accessKey: a, secretKey: b, secure: true, region: eu-1}
submit: {ratePerSecond: 0.1234, retry: {maxAttempts: 4, initialDelay: 250ms}}
triggers:
  - name: reports
    on:
      schedule:
        crons: ["0 2 * * *", "30 14 * * 1-5"]
        timezone: Europe/Amsterdam
        catchup: all
        userPayload: {team: data}
    workflowTemplate: nightly-report
    parameters: [{name: date, from: eventTime}, {name: image, from: userPayload.image, default: "r:1"}]
  - name: reports-quiet
    on: {schedule: {cron: "0 3 * * *", catchup: none, userPayload: [1]}}
    workflowTemplate: nightly-report
    parameters: [{name: date, value: today}]
  - name: open-hook
    on: {webhook: {path: /open, method: PUT, auth: none}}
    workflowTemplate: onboard-employee
    parameters: [{name: email, from: body.email}, {name: full-name, from: body.name, default: ""}]
  - name: signed-hook
    on: {webhook: {path: /signed, auth: {hmac: {secret: s}}, maxBodyBytes: 2048}}
    workflowTemplate: onboard-employee
    parameters: [{name: email, from: header.X-Email.0}]
  - name: everything-uploaded
    on: {minio: {bucket: raw, events: [put, complete-multipart], delivery: webhook,
                 webhook: {auth: {bearer: t}}}}
    workflowTemplate: drone-pipeline
    parameters:
      - {name: bucket, from: notification.0.s3.bucket.name}
      - {name: key, from: notification.0.s3.object.key}
"""

# One sample event (Argo Events' data shape) per example trigger, for the applied Workflows.
SAMPLES: dict[str, dict[str, Any]] = {
    "onboarding": json.loads((EVENTS / "onboarding.json").read_text()),
    "report-on-demand": {"header": {}, "body": {"date": "2026-12-03"}},
    "nightly-report": {"eventTime": "2026-12-04 01:00:00.000312 +0000 UTC m=+3600.000312001"},
    "drone-photos": json.loads((EVENTS / "drone-photo.json").read_text()),
}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("shapes")
    config = folder / "shapes.yaml"
    config.write_text(textwrap.dedent(SHAPES))
    out = folder / "out"
    out.mkdir()
    for name, text in generate(load_config(config, environ={})).files.items():
        (out / name).write_text(text)
    return sorted(out.glob("*.yaml"))


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """workflowtemplates/, installed in the Workflows' namespace."""
    folder = tmp_path_factory.mktemp("templates")
    out = []
    for path in TEMPLATES:
        template = yaml.safe_load(path.read_text())
        template["metadata"]["namespace"] = NAMESPACE
        target = folder / path.name
        target.write_text(yaml.safe_dump(template, sort_keys=False))
        out.append(target)
    return out


def _mutated(tmp_path: Path, source: Path, change: Any) -> Path:
    obj = yaml.safe_load(source.read_text())
    change(obj)
    target = tmp_path / source.name
    target.write_text(yaml.safe_dump(obj, sort_keys=False))
    return target


# -- EventSources and Sensors: argo-events' own validation ------------------------------------


def test_every_generated_file_passes_argo_events_validation(shapes: list[Path]) -> None:
    assert GENERATED, "sensors/ is empty"
    results = evvalidate([*GENERATED, *shapes])
    assert not failures(results), report(results)
    assert len(results) == len(GENERATED) + len(shapes)
    assert {r.kind for r in results} == {"EventSource", "Sensor"}


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        (
            "drone/drone-photos.sensor.yaml",
            lambda s: s["spec"]["triggers"][0]["template"].update(atLeastOnce=True),
            'unknown field "spec.triggers[0].template.atLeastOnce"',
        ),
        (
            "drone/drone-photos.sensor.yaml",
            lambda s: s["spec"]["triggers"][0]["template"]["argoWorkflow"].pop("operation"),
            "unknown operation type",
        ),
        (
            "bridge/onboarding.sensor.yaml",
            lambda s: s["spec"]["triggers"][0]["template"]["argoWorkflow"]["parameters"][0].update(
                dest=""
            ),
            "parameter destination can't be empty",
        ),
        (
            "bridge/onboarding.eventsource.yaml",
            lambda s: s["spec"].update(
                calendar={"tick": {"schedule": "0 2 * * *"}},
            ),
            "rolling update and recreate update strategy can not be put together",
        ),
        (
            "bridge/onboarding.eventsource.yaml",
            lambda s: s["spec"]["webhook"]["onboarding"].update(port="http"),
            "failed to parse server port http",
        ),
    ],
    ids=["delivery key inside template", "no operation", "empty dest", "webhook+calendar", "port"],
)
def test_argo_events_validation_can_fail(
    tmp_path: Path, file: str, change: Any, message: str
) -> None:
    results = evvalidate([_mutated(tmp_path, SENSORS / file, change)])
    assert failures(results), report(results)
    assert message in results[0].error, report(results)


# -- the Workflow inside each Sensor: Argo Workflows' validation in Submit mode --------------


def test_workflows_in_the_sensors_pass_submit_validation(
    tmp_path: Path, shapes: list[Path], templates: list[Path]
) -> None:
    sensors = [p for p in [*GENERATED, *shapes] if p.name.endswith(".sensor.yaml")]
    workflows = tmp_path / "workflows.yaml"
    workflows.write_text(extract_workflows(sensors))
    results = wfvalidate([workflows, *templates], mode="submit")
    assert not failures(results), report(results)
    assert [r.kind for r in results].count("Workflow") == len(sensors)


def test_submitted_workflows_pass_submit_validation(tmp_path: Path, templates: list[Path]) -> None:
    """The Workflow as Argo Events submits it: the Sensor applied to a sample event."""
    files = []
    for name, data in SAMPLES.items():
        (sensor_file,) = SENSORS.rglob(f"{name}.sensor.yaml")
        sensor = yaml.safe_load(sensor_file.read_text())
        workflow = apply_sensor(sensor, {sensor["spec"]["dependencies"][0]["name"]: data})
        assert not any(
            str(p["value"]).startswith("(set by the Sensor")
            for p in workflow["spec"]["arguments"]["parameters"]
        )
        target = tmp_path / f"{name}.workflow.yaml"
        target.write_text(yaml.safe_dump(workflow, sort_keys=False))
        files.append(target)
    results = wfvalidate([*files, *templates], mode="submit")
    assert not failures(results), report(results)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda w: w["spec"]["arguments"]["parameters"].pop(0),
            "email",
        ),
        (
            lambda w: w["spec"]["workflowTemplateRef"].update(name="no-such-template"),
            "no-such-template",
        ),
        (
            lambda w: w["spec"]["arguments"].update(
                parameterz=w["spec"]["arguments"].pop("parameters")
            ),
            "parameterz",
        ),
    ],
    ids=["missing required parameter", "unknown template", "misplaced key"],
)
def test_submit_validation_can_fail(
    tmp_path: Path, templates: list[Path], change: Any, message: str
) -> None:
    sensor = yaml.safe_load((SENSORS / "bridge" / "onboarding.sensor.yaml").read_text())
    workflow = sensor["spec"]["triggers"][0]["template"]["argoWorkflow"]["source"]["resource"]
    change(workflow)
    target = tmp_path / "workflow.yaml"
    target.write_text(yaml.safe_dump(workflow, sort_keys=False))
    results = wfvalidate([target, *templates], mode="submit")
    bad = failures(results)
    assert [r.kind for r in bad] == ["Workflow"], report(results)
    assert message in bad[0].error, report(results)
