"""Store and guard the WorkflowTemplates: lint, diff and apply ``workflowtemplates/``.

Templates are often written by a model from a sentence, so nothing reaches the Argo Server
before Argo's own rules accept it. `lint` reads each file with the trigger file's strict YAML
reader (tabs, duplicate keys and syntax errors name their line), checks that it holds one
WorkflowTemplate of ``argoproj.io/v1alpha1``, then runs Argo's validation (``wfvalidate``, the
``argo lint --strict`` code path) over all files together, so references between them resolve.
`plan` compares each template with the server's copy through Argo's API model (new, changed with
a readable diff of the spec, unchanged); `apply` creates or updates (carrying the
``resourceVersion`` it read, so a concurrent change is reported as a conflict, never overwritten).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from bridge.argo import HeraArgoClient, TemplateInfo, normalize_template
from bridge.argo_lint import NOT_BUILT, ValidatorError, find_validator, run_validator
from bridge.config.yamlfile import read_yaml
from bridge.errors import SubmitError

__all__ = [
    "Change",
    "FileTemplates",
    "LintReport",
    "Template",
    "apply",
    "lint",
    "plan",
    "read_templates",
    "template_files",
    "template_info",
]

API_VERSION = "argoproj.io/v1alpha1"


@dataclass(frozen=True)
class Template:
    """One WorkflowTemplate read from a file."""

    path: Path
    name: str
    body: dict[str, Any]


@dataclass
class LintReport:
    """The templates that read well, and every problem found (``file: object: message``)."""

    templates: list[Template] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no file has a problem."""
        return not self.problems


@dataclass(frozen=True)
class Change:
    """What applying one template would do."""

    template: Template
    action: Literal["create", "update", "unchanged"]
    diff: str = ""
    resource_version: str | None = None


def template_files(paths: Sequence[Path]) -> list[Path]:
    """Expand folders into their ``*.yaml``/``*.yml`` files, sorted."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            files.append(path)
    return files


def lint(paths: Sequence[Path]) -> LintReport:
    """Check every file by the YAML reader's and Argo's rules; report all problems at once.

    Raises:
        ValidatorError: Argo's validator is not built (scripts/install-validators).
    """
    report = read_templates(paths)
    readable = sorted({t.path for t in report.templates})
    if readable:
        binary = find_validator("wfvalidate")
        if binary is None:
            raise ValidatorError(NOT_BUILT)
        for result in run_validator(binary, ["--mode", "lint", *map(str, readable)]):
            if not result.ok:
                subject = f"{result.kind}/{result.name}: " if result.kind else ""
                report.problems.append(f"{result.file}: {subject}{result.error}")
    return report


def _read(path: Path, report: LintReport) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        report.problems.append(f"{path}: cannot read the file: {exc}")
        return
    doc = read_yaml(text, str(path), {}, placeholders=True)
    if doc.problems:
        report.problems.extend(str(p) for p in doc.problems)
        return
    body = doc.data
    if not isinstance(body, dict):
        report.problems.append(f"{path}: expected one WorkflowTemplate object per file")
        return
    where = f"{path}:{doc.line_of(('kind',)) or 1}"
    if body.get("kind") != "WorkflowTemplate":
        report.problems.append(
            f"{where}: kind is {body.get('kind')!r}; this folder holds WorkflowTemplates"
        )
        return
    if body.get("apiVersion") != API_VERSION:
        line = doc.line_of(("apiVersion",)) or 1
        report.problems.append(
            f"{path}:{line}: apiVersion is {body.get('apiVersion')!r}; write {API_VERSION}"
        )
        return
    name = str((body.get("metadata") or {}).get("name", ""))
    report.templates.append(Template(path, name, body))


def template_info(template: Template) -> TemplateInfo:
    """The parameters of a template file, as the start-up check needs them."""
    arguments = (template.body.get("spec") or {}).get("arguments") or {}
    parameters = [p for p in arguments.get("parameters") or [] if isinstance(p, dict)]
    required = {str(p.get("name")) for p in parameters if "value" not in p and "valueFrom" not in p}
    return TemplateInfo(
        template.name, frozenset(required), frozenset(str(p.get("name")) for p in parameters)
    )


class FileTemplates:
    """Answers the start-up check's questions from template files instead of the server."""

    def __init__(self, templates: Sequence[Template]) -> None:
        self._by_name = {t.name: template_info(t) for t in templates}

    def get_template(self, name: str) -> TemplateInfo | None:
        """Return the file's template info, or None when no file defines it."""
        return self._by_name.get(name)


def read_templates(paths: Sequence[Path]) -> LintReport:
    """Read the template files without Argo's validation (for offline trigger checks)."""
    report = LintReport()
    for path in template_files(paths):
        _read(path, report)
    return report


def plan(client: HeraArgoClient, templates: Sequence[Template]) -> list[Change]:
    """Compare each template with the server's copy."""
    changes = []
    for template in templates:
        current = client.get_template_object(template.name)
        if current is None:
            changes.append(Change(template, "create"))
            continue
        mine = normalize_template(template.body).get("spec", {})
        theirs = current.get("spec", {})
        version = current.get("metadata", {}).get("resourceVersion")
        if mine == theirs:
            changes.append(Change(template, "unchanged", resource_version=version))
            continue
        diff = "".join(
            difflib.unified_diff(
                _dump(theirs).splitlines(keepends=True),
                _dump(mine).splitlines(keepends=True),
                f"server: {template.name}.spec",
                f"{template.path}: spec",
            )
        )
        changes.append(Change(template, "update", diff, version))
    return changes


def apply(client: HeraArgoClient, changes: Sequence[Change]) -> list[tuple[Change, str | None]]:
    """Create or update what `plan` found; return each change with its error, if any."""
    results: list[tuple[Change, str | None]] = []
    for change in changes:
        body = {
            **change.template.body,
            "metadata": dict(change.template.body.get("metadata") or {}),
        }
        try:
            if change.action == "create":
                client.create_template(body)
            elif change.action == "update":
                body["metadata"]["resourceVersion"] = change.resource_version
                client.update_template(body)
        except SubmitError as exc:
            reason = str(exc)
            if exc.status == 409:
                reason = f"conflict: changed on the server since it was read; run again ({exc})"
            results.append((change, reason))
            continue
        results.append((change, None))
    return results


def _dump(spec: Any) -> str:
    return yaml.safe_dump(spec, sort_keys=True, allow_unicode=True)
