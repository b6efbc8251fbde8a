"""Argo's own validation code, run as the two Go tools ``wfvalidate`` and ``evvalidate``.

The tools (``tools/wfvalidate``: argo-workflows' ``workflow/validate`` with ``argo lint``'s strict
decoding; ``tools/evvalidate``: argo-events' reconciler validators) are built by
``scripts/install-validators`` into ``~/.cache/trigger-bridge/bin`` (or ``$TRIGGER_BRIDGE_CACHE``);
``$WFVALIDATE_BIN`` / ``$EVVALIDATE_BIN`` point at other builds. This module finds them, runs
them with ``--json`` and returns one `LintResult` per object, so the CLI and the tests judge
manifests by Argo's rules, not by a copy of them.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bridge.errors import BridgeError

__all__ = ["LintResult", "ValidatorError", "find_validator", "run_validator"]

TIMEOUT: Final = 120.0
NOT_BUILT: Final = "Argo validators not built: run scripts/install-validators (needs Go)"


@dataclass(frozen=True)
class LintResult:
    """One object's verdict; `kind` and `name` are empty when the document was unreadable."""

    file: str
    kind: str
    name: str
    ok: bool
    error: str

    def __str__(self) -> str:
        subject = f"{self.file}: {self.kind}/{self.name}" if self.kind else self.file
        return f"OK {subject}" if self.ok else f"ERROR {subject}: {self.error}"


class ValidatorError(BridgeError):
    """A validator is missing or failed as a program (not as a verdict on the files)."""


def cache_dir() -> Path:
    """Where scripts/install-validators puts its builds."""
    configured = os.environ.get("TRIGGER_BRIDGE_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "trigger-bridge"


def find_validator(name: str) -> Path | None:
    """`wfvalidate` or `evvalidate`: ``$<NAME>_BIN`` if set, else the install script's cache."""
    configured = os.environ.get(f"{name.upper()}_BIN")
    candidate = Path(configured) if configured else cache_dir() / "bin" / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    return None


def run_validator(binary: Path, args: list[str]) -> list[LintResult]:
    """Run a validator with ``--json`` and `args`; return its verdicts.

    Raises:
        ValidatorError: the tool exited with a usage error or crashed, or contradicted itself.
    """
    completed = run_tool(binary, ["--json", *args])
    results = [LintResult(**json.loads(line)) for line in completed.stdout.splitlines() if line]
    if (completed.returncode == 0) != all(r.ok for r in results):
        raise ValidatorError(
            f"{binary.name}: exit {completed.returncode} disagrees with its output:\n"
            f"{completed.stdout}"
        )
    return results


def run_tool(binary: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run a validator; exit 0 and 1 are verdicts, anything else is a ValidatorError."""
    completed = subprocess.run(  # noqa: S603 - our own tool, arguments are file paths
        [str(binary), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if completed.returncode not in (0, 1):
        raise ValidatorError(
            f"{binary.name} {' '.join(args)} exited {completed.returncode}:\n{completed.stderr}"
        )
    return completed
