"""``trigger-bridge templates lint|diff|apply [PATHS…]``: guard and store the WorkflowTemplates.

``lint`` works offline and needs no trigger file; ``diff`` and ``apply`` talk to the Argo Server
named in ``--config``. ``apply`` lints first and applies nothing if any file fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bridge.argo import HeraArgoClient
from bridge.cli_common import EXIT_CONFIG, EXIT_FAILED
from bridge.config.load import LoadedConfig
from bridge.templates import Change, apply, lint, plan

__all__ = ["add_parser", "run_templates"]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``templates`` command to the CLI's subcommands."""
    text = "lint, diff or apply the WorkflowTemplates (default folder: workflowtemplates/)"
    sub = commands.add_parser("templates", help=text, description=text)
    sub.add_argument("action", choices=["lint", "diff", "apply"])
    sub.add_argument("paths", nargs="*", type=Path, default=[Path("workflowtemplates")])
    sub.add_argument("--config", "-c", type=Path, help="the trigger file (for diff and apply)")
    sub.add_argument("--dry-run", action="store_true", help="apply: show what would change")
    sub.set_defaults(handler=run_templates, needs_env=True)


def run_templates(loaded: LoadedConfig | None, args: argparse.Namespace) -> int:
    """Run the templates command; `loaded` is None when no --config was given."""
    report = lint(args.paths)
    if args.action == "lint" or not report.ok:
        for problem in report.problems:
            print(problem, file=sys.stderr)
        if not report.ok:
            print(
                f"{len(report.problems)} problem(s); nothing applied"
                if args.action != "lint"
                else f"{len(report.problems)} problem(s)",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        print(f"{len(report.templates)} template(s) pass Argo's validation")
        return 0
    if loaded is None or loaded.config.argo.server is None:
        print(
            f"error: templates {args.action} needs --config with argo.server set", file=sys.stderr
        )
        return EXIT_CONFIG
    client = HeraArgoClient(loaded.config.argo)
    try:
        changes = plan(client, report.templates)
        _show(changes, args.action == "diff")
        if args.action == "diff" or args.dry_run:
            return 0
        failed = 0
        for change, error in apply(client, [c for c in changes if c.action != "unchanged"]):
            if error is None:
                print(f"{change.action}d: {change.template.name}")
            else:
                failed += 1
                print(f"error: {change.template.name}: {error}", file=sys.stderr)
        return EXIT_FAILED if failed else 0
    finally:
        client.close()


def _show(changes: list[Change], with_diff: bool) -> None:
    for change in changes:
        word = {"create": "new", "update": "changed", "unchanged": "unchanged"}[change.action]
        print(f"{word}: {change.template.name} ({change.template.path})")
        if with_diff and change.diff:
            print(change.diff.rstrip("\n"))
