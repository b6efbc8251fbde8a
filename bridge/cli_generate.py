"""The ``generate`` command: write Argo Events EventSources and Sensors for the triggers.

``trigger-bridge generate --config F --out DIR`` writes one EventSource and one Sensor per
trigger into DIR and removes generated files (those with the header line) whose trigger is gone;
other files in DIR are left alone. Each warning (what Argo Events cannot express) goes to stderr
once. ``--strict`` makes warnings an error: exit 2, nothing written. ``--check`` writes nothing
and exits 1 listing the files that would change, for CI to catch stale manifests.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bridge.cli_common import EXIT_CONFIG, EXIT_FAILED, Register
from bridge.config.load import LoadedConfig
from bridge.generate import generate
from bridge.generate.output import apply_changes, plan_changes

__all__ = ["add_commands", "source_label"]


def add_commands(register: Register) -> None:
    """Add ``generate`` through the CLI's `register(name, help, handler)`."""
    command = register(
        "generate", "write Argo Events EventSources and Sensors for the triggers", _generate
    )
    command.add_argument(
        "--out", "-o", required=True, type=Path, help="the folder to write (created if needed)"
    )
    command.add_argument(
        "--strict", action="store_true", help="a warning is an error: exit 2 and write nothing"
    )
    command.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the files that would change (for CI)",
    )


def source_label(config: Path, out: Path) -> str:
    """Name the trigger file for the header line, the same from any working directory.

    Relative to the deepest folder that holds both the file and the output folder
    (``examples/bridge.yaml`` for ``--out sensors/bridge``), else as given.
    """
    file, folder = config.resolve(), out.resolve()
    common = Path(os.path.commonpath([file, folder]))
    if common == Path(common.anchor):
        return config.as_posix()
    return file.relative_to(common).as_posix()


def _generate(loaded: LoadedConfig, args: argparse.Namespace) -> int:
    out: Path = args.out
    result = generate(loaded, source=source_label(args.config, out))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.strict and result.warnings:
        print(
            f"error: {len(result.warnings)} warning(s) and --strict: nothing written",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    changes = plan_changes(out, result.files)
    if args.check:
        for change in changes:
            print(f"would {change.action} {change.path}")
        if changes:
            print(
                f"error: {out} is stale: {len(changes)} file(s) would change; run "
                f"trigger-bridge generate --config {args.config} --out {out}",
                file=sys.stderr,
            )
            return EXIT_FAILED
        print(f"{out}: {len(result.files)} file(s) up to date")
        return 0
    try:
        apply_changes(changes)
    except OSError as exc:
        print(f"error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    for change in changes:
        print(f"{'wrote' if change.action == 'write' else 'removed'} {change.path}")
    print(
        f"{out}: {len(result.files)} file(s), {len(changes)} changed, "
        f"{len(result.warnings)} warning(s)"
    )
    return 0
