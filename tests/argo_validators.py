"""Run Argo's own validation code on manifests: the Go tools built by scripts/install-validators.

- `wfvalidate` (tools/wfvalidate, argo-workflows' `workflow/validate`): Workflow,
  WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow, decoded strictly as `argo lint
  --strict` does; workflowTemplateRef resolves against the templates of all files given.
  Modes: `lint` (as `argo lint`), `submit` (as the Argo Server submitting a Workflow: every
  argument needs a value), `create` (as the server's CreateWorkflow).
- `evvalidate` (tools/evvalidate, argo-events' reconciler validators): EventSource, Sensor,
  EventBus, decoded strictly (unknown fields are errors, unlike upstream's `argo-events lint`).
  `extract_workflows` returns the Workflows embedded in Sensor `argoWorkflow` triggers
  (`source.resource`), which evvalidate does not check, for `wfvalidate(..., mode="submit")`.

Binaries: `$WFVALIDATE_BIN` / `$EVVALIDATE_BIN` if set, else `$TRIGGER_BRIDGE_CACHE/bin/`
(default `~/.cache/trigger-bridge/bin/`). Without them tests skip, except on CI (CI=true),
where a missing binary fails.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import pytest

from bridge.argo_lint import (
    NOT_BUILT,
    LintResult,
    ValidatorError,
    find_validator,
    run_tool,
    run_validator,
)

__all__ = ["NOT_BUILT", "Result", "ValidatorError", "validator_binary"]

Mode = Literal["lint", "submit", "create"]
Result = LintResult
validator_binary = find_validator


def validators_built() -> bool:
    return validator_binary("wfvalidate") is not None and validator_binary("evvalidate") is not None


def require_validator(name: str) -> Path:
    """The binary, or skip the test; on CI (CI=true) a missing binary fails instead."""
    binary = validator_binary(name)
    if binary is not None:
        return binary
    if os.environ.get("CI") == "true":
        pytest.fail(f"{NOT_BUILT} [{name} missing; CI=true, so this is an error, not a skip]")
    pytest.skip(NOT_BUILT)


def skip_module_unless_built() -> None:
    """Call at the top of a test module: skip the whole module (one summary line) when a
    validator is absent, unless CI=true, where `require_validator()` in the tests fails.
    """
    if not validators_built() and os.environ.get("CI") != "true":
        pytest.skip(NOT_BUILT, allow_module_level=True)


def _run(name: str, args: list[str]) -> subprocess.CompletedProcess[str]:
    return run_tool(require_validator(name), args)


def _results(name: str, args: list[str]) -> list[Result]:
    return run_validator(require_validator(name), args)


def _paths(files: Iterable[str | os.PathLike[str]]) -> list[str]:
    paths = [os.fspath(f) for f in files]
    if not paths:
        raise ValueError("no files to validate")
    return paths


def wfvalidate(files: Iterable[str | os.PathLike[str]], mode: Mode = "lint") -> list[Result]:
    """Validate Argo Workflows objects; templates in any file resolve references in all."""
    return _results("wfvalidate", ["--mode", mode, *_paths(files)])


def evvalidate(files: Iterable[str | os.PathLike[str]]) -> list[Result]:
    """Validate Argo Events EventSources, Sensors and EventBuses."""
    return _results("evvalidate", _paths(files))


def extract_workflows(files: Iterable[str | os.PathLike[str]]) -> str:
    """The Workflows of the Sensors' argoWorkflow triggers (`source.resource`), verbatim, as
    multi-document YAML ("" if there are none). Trigger parameters are not applied.
    """
    completed = _run("evvalidate", ["--extract-workflows", *_paths(files)])
    if completed.returncode != 0:
        raise ValidatorError(f"evvalidate --extract-workflows failed:\n{completed.stderr}")
    return completed.stdout


def failures(results: Iterable[Result]) -> list[Result]:
    return [r for r in results if not r.ok]


def report(results: Iterable[Result]) -> str:
    """The results as the tools print them without --json: for assertion messages."""
    return "\n".join(str(r) for r in results)


def argo_rules(obj: dict[str, object], mode: Mode = "lint") -> str | None:
    """Judge one object with wfvalidate: its first error, or None (for the Argo Server double)."""
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "object.yaml"
        path.write_text(yaml.safe_dump(obj))
        failed = failures(wfvalidate([path], mode=mode))
    return failed[0].error if failed else None


def submit_rules(workflow: dict[str, object], templates: list[dict[str, object]]) -> str | None:
    """Judge a Workflow submitted from a template as the Argo Server does (Submit mode)."""
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for index, obj in enumerate([workflow, *templates]):
            path = Path(folder) / f"{index}.yaml"
            path.write_text(yaml.safe_dump(obj))
            paths.append(path)
        results = wfvalidate(paths, mode="submit")
    failed = [r for r in failures(results) if r.file == str(paths[0])]
    return failed[0].error if failed else None
