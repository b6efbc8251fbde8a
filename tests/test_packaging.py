"""The files around the code: compose pins, the Dockerfile's contract, the console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parent.parent


def test_compose_pins_minio_and_mounts_the_journal() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["minio"]["image"] == "minio/minio:RELEASE.2025-09-07T16-13-09Z"
    bridge = compose["services"]["bridge"]
    assert "bridge-state:/var/lib/trigger-bridge" in bridge["volumes"]
    assert any(v.endswith(":/etc/trigger-bridge/bridge.yaml:ro") for v in bridge["volumes"])


def test_dockerfile_runs_as_non_root_with_the_state_on_a_volume() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 10001" in text
    assert 'VOLUME ["/var/lib/trigger-bridge"]' in text
    assert "BRIDGE_STATE__PATH=/var/lib/trigger-bridge/" in text


def test_python_dash_m_bridge_is_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bridge", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith("trigger-bridge ")


def test_every_module_has_a_docstring() -> None:
    for path in (ROOT / "bridge").rglob("*.py"):
        text = path.read_text().lstrip()
        assert text.startswith('"""'), f"{path} has no module docstring"


def test_example_triggers_fit_the_workflow_templates(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bridge.argo import TemplateInfo
    from bridge.config.load import load_config
    from bridge.preflight import check_templates
    from bridge.testing import FakeArgoClient

    monkeypatch.setenv("ONBOARD_TOKEN", "t")
    monkeypatch.setenv("REPORT_HOOK_SECRET", "s")
    monkeypatch.setenv("MINIO_ACCESS_KEY", "a")
    monkeypatch.setenv("MINIO_SECRET_KEY", "b")
    templates = {}
    for file in (ROOT / "workflowtemplates").glob("*.yaml"):
        template = yaml.safe_load(file.read_text())
        parameters = template["spec"].get("arguments", {}).get("parameters", [])
        name = template["metadata"]["name"]
        templates[name] = TemplateInfo(
            name,
            frozenset(p["name"] for p in parameters if "value" not in p and "valueFrom" not in p),
            frozenset(p["name"] for p in parameters),
        )
    for example in sorted((ROOT / "examples").glob("*.yaml")):
        config = load_config(example).config
        report = check_templates(FakeArgoClient(templates=templates), config.triggers, "argo")
        assert report.problems == [], example
        assert report.warnings == [], example
