"""The ``trigger-bridge`` command: run, validate, test, history (and the schedule commands).

Exit status: 0 success; 1 the command ran but its subject failed (a test event that cannot start a
workflow, a daemon that stopped on an error); 2 the configuration or the command line is wrong.
Problems go to stderr one per line as ``file:line: field: message``; results go to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

from bridge import __version__
from bridge.cli_common import EXIT_CONFIG, EXIT_FAILED, Handler
from bridge.cli_generate import add_commands as add_generate_commands
from bridge.cli_minio import add_commands as add_minio_commands
from bridge.cli_schedules import add_commands
from bridge.cli_templates import add_parser as add_templates_parser
from bridge.config.load import LoadedConfig, load_config
from bridge.config.model import Trigger
from bridge.errors import BridgeError, ConfigError
from bridge.evaluate import Submission, evaluate
from bridge.events import Event
from bridge.journal import Journal, JournalRow, State
from bridge.logs import configure_logging

__all__ = ["main"]

JOURNAL_ONLY = frozenset({"history", "schedules", "pause", "resume"})


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        loaded = load_config(args.config, need_env=args.needs_env) if args.config else None
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{len(exc.problems)} problem(s) in the configuration", file=sys.stderr)
        return EXIT_CONFIG
    handler: Any = args.handler
    try:
        return int(handler(loaded, args))
    except BridgeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trigger-bridge",
        description="Start Argo WorkflowTemplates from webhooks, uploads and schedules.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, handler: Handler) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--config", "-c", required=True, type=Path, help="the trigger file")
        # commands that only read the journal work without the webhook and Argo secrets
        sub.set_defaults(handler=handler, needs_env=name not in JOURNAL_ONLY)
        return sub

    run = command("run", "run the daemon", _run)
    run.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    run.add_argument(
        "--log-format", choices=["json", "console"], help="default: json unless on a terminal"
    )
    validate = command("validate", "check the trigger file and report every problem", _validate)
    validate.add_argument(
        "--templates", type=Path, help="also check the triggers against these template files/folder"
    )
    test = command("test", "show the workflow an event would start; submits nothing", _test)
    test.add_argument("--trigger", "-t", required=True, help="the trigger's name")
    test.add_argument("--event", "-e", required=True, type=Path, help="event data as JSON")
    add_commands(command)
    add_minio_commands(command)
    add_generate_commands(command)
    add_templates_parser(commands)
    history = command("history", "list journaled events, newest first", _history)
    history.add_argument("--trigger", "-t", help="only this trigger")
    history.add_argument("--state", "-s", choices=list(get_args(State)), help="only this state")
    history.add_argument(
        "--limit", "-n", type=int, default=20, help="at most this many (default 20)"
    )
    history.add_argument("--json", action="store_true", help="one JSON object per line")
    return parser


def _run(loaded: LoadedConfig, args: argparse.Namespace) -> int:
    from bridge.daemon import Daemon  # the HTTP stack and Hera load only for this command

    configure_logging(
        args.log_level, None if args.log_format is None else args.log_format == "json"
    )
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    try:  # uvicorn[standard] brings uvloop; about 15% more requests per second than asyncio's loop
        import uvloop
    except ImportError:
        asyncio.run(Daemon(loaded).serve())
    else:
        uvloop.run(Daemon(loaded).serve())
    return 0


def _validate(loaded: LoadedConfig, args: argparse.Namespace) -> int:
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.templates is not None:
        problems = _check_against_files(loaded, args.templates)
        if problems:
            return EXIT_CONFIG
    config = loaded.config
    mode = (
        f"submits to {config.argo.server}"
        if not config.argo.dry_run
        else "dry-run (no argo.server)"
    )
    print(f"{loaded.file}: {len(config.triggers)} trigger(s), {mode}")
    for trigger in config.triggers:
        print(f"  {trigger.name}: {_describe(trigger)} -> {trigger.workflow_template}")
    return 0


def _check_against_files(loaded: LoadedConfig, path: Path) -> list[str]:
    """Check the triggers against template files (offline); print problems and warnings."""
    from bridge.preflight import check_templates
    from bridge.templates import FileTemplates, read_templates

    files = read_templates([path])
    report = check_templates(FileTemplates(files.templates), loaded.config.triggers, f"{path}")
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    problems = files.problems + report.problems
    for problem in problems:
        print(problem, file=sys.stderr)
    return problems


def _describe(trigger: Trigger) -> str:
    hook, schedule = trigger.on.webhook, trigger.on.schedule
    if hook is not None:
        return f"webhook {hook.method} {hook.path}"
    assert schedule is not None
    return f"schedule {' | '.join(schedule.expressions)} ({schedule.timezone})"


def _test(loaded: LoadedConfig, args: argparse.Namespace) -> int:
    trigger = loaded.config.trigger(args.trigger)
    if trigger is None:
        names = ", ".join(t.name for t in loaded.config.triggers)
        print(f"error: no trigger {args.trigger!r}; the file has: {names}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        data = json.loads(args.event.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"error: cannot read event {args.event}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if not isinstance(data, dict):
        print(f"error: {args.event}: event data must be a JSON object", file=sys.stderr)
        return EXIT_CONFIG
    from bridge.clock import SystemClock
    from bridge.events import new_event_id

    now = SystemClock().now()
    event = Event(new_event_id(now), trigger.on.kind, trigger.name, now, data)
    try:
        decision = evaluate(trigger, event)
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        print(f"error: {args.event} is not {trigger.on.kind} event data ({exc!r})", file=sys.stderr)
        return EXIT_CONFIG
    if not isinstance(decision, Submission):
        print(f"no workflow: {decision.reason}", file=sys.stderr)
        return EXIT_FAILED
    print(f"workflow:  {decision.workflow_name}")
    print(f"template:  {decision.template}")
    print(f"namespace: {loaded.config.argo.namespace}")
    print(f"dedup key: {decision.dedup_key}")
    print("parameters:")
    for name, value in decision.parameters:
        print(f"  {name} = {value}")
    print("labels:")
    for key, value in decision.labels:
        print(f"  {key} = {value}")
    return 0


def _history(loaded: LoadedConfig, args: argparse.Namespace) -> int:
    if not loaded.state_path.exists():
        print(f"no journal at {loaded.state_path} yet: the daemon has not run", file=sys.stderr)
        return 0
    journal = Journal.open(loaded.state_path)
    try:
        rows = journal.history(args.trigger, args.state, max(args.limit, 1))
    finally:
        journal.close()
    if args.json:
        for row in rows:
            print(json.dumps(_row_json(row, loaded), ensure_ascii=False))
        return 0
    if not rows:
        print("no events")
        return 0
    _print_table(rows, loaded)
    return 0


def _row_json(row: JournalRow, loaded: LoadedConfig) -> dict[str, Any]:
    return {
        "event": row.id,
        "trigger": row.trigger,
        "source": row.source,
        "received": row.received_at.isoformat(),
        "state": row.state,
        "attempts": row.attempts,
        "workflow": row.workflow,
        "url": _workflow_url(row, loaded),
        "parameters": dict(row.parameters),
        "error": row.last_error,
        "duplicateOf": row.duplicate_of,
    }


def _workflow_url(row: JournalRow, loaded: LoadedConfig) -> str | None:
    argo = loaded.config.argo
    if argo.ui_url is None or row.workflow is None or row.state != "submitted":
        return None
    return f"{argo.ui_url}/workflows/{argo.namespace}/{row.workflow}"


def _print_table(rows: list[JournalRow], loaded: LoadedConfig) -> None:
    headers = ("RECEIVED (UTC)", "EVENT", "TRIGGER", "STATE", "TRIES", "WORKFLOW")
    table = [
        (
            row.received_at.strftime("%Y-%m-%d %H:%M:%S"),
            row.id,
            row.trigger,
            row.state,
            str(row.attempts),
            row.workflow or "-",
        )
        for row in rows
    ]
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row, cells in zip(rows, table, strict=True):
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        detail = row.last_error if row.state in ("failed", "received") else None
        if row.duplicate_of:
            detail = f"duplicate of {row.duplicate_of}"
        url = _workflow_url(row, loaded)
        for line in (detail, url):
            if line:
                print(f"    {line}")
