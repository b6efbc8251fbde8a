"""Start-up checks against the Argo Server: every trigger can actually be submitted.

For each trigger the WorkflowTemplate must exist, and every template parameter without a value
must be supplied by the trigger; the daemon refuses to start otherwise, naming both. A trigger
parameter the template does not declare is only a warning (Argo accepts and keeps it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bridge.argo import TemplateInfo
from bridge.config.model import Trigger

__all__ = ["PreflightReport", "check_templates"]


@dataclass
class PreflightReport:
    """Problems stop the start; warnings are logged."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class TemplateSource(Protocol):
    """Where template parameters come from: the Argo Server, or template files."""

    def get_template(self, name: str) -> TemplateInfo | None:
        """Return the template's parameters, or None if there is no such template."""
        ...


def check_templates(
    client: TemplateSource, triggers: Sequence[Trigger], where: str
) -> PreflightReport:
    """Check each trigger against its WorkflowTemplate on the server (or in files).

    Raises:
        RetryableSubmitError: the server could not be asked (the caller decides what that means).
    """
    report = PreflightReport()
    cache: dict[str, TemplateInfo | None] = {}
    for trigger in triggers:
        name = trigger.workflow_template
        if name not in cache:
            cache[name] = client.get_template(name)
        info = cache[name]
        if info is None:
            report.problems.append(
                f"trigger {trigger.name!r}: WorkflowTemplate {name!r} does not exist in {where}; "
                "create it (trigger-bridge templates apply) or fix workflowTemplate"
            )
            continue
        given = {p.name for p in trigger.parameters}
        missing = sorted(info.required - given)
        if missing:
            report.problems.append(
                f"trigger {trigger.name!r} does not supply parameter(s) {', '.join(missing)} that "
                f"WorkflowTemplate {name!r} requires; add them under the trigger's parameters"
            )
        unknown = sorted(given - info.known)
        if unknown:
            report.warnings.append(
                f"trigger {trigger.name!r} passes parameter(s) {', '.join(unknown)} that "
                f"WorkflowTemplate {name!r} does not declare; the workflow will ignore them"
            )
    return report
