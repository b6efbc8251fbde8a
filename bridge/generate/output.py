"""Bring an output folder in line with a generation: what to write, what to remove.

`plan_changes` compares the folder with the files a generation produced: a file is written when
it is missing or differs, and a file in the folder that carries the generated-file header but
was not produced any more (its trigger was removed or renamed) is removed. Files without the
header are never touched. `apply_changes` carries the plan out; ``--check`` only reports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bridge.generate.render import is_generated

__all__ = ["Change", "apply_changes", "plan_changes"]

_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Change:
    """One file to write (with its new text) or to remove."""

    path: Path
    action: Literal["write", "remove"]
    text: str = ""


def plan_changes(out: Path, files: dict[str, str]) -> list[Change]:
    """Return the changes that make folder `out` hold exactly the generated `files`."""
    changes = [
        Change(out / name, "write", text)
        for name, text in files.items()
        if _read(out / name) != text
    ]
    if out.is_dir():
        for path in sorted(out.iterdir()):
            if path.suffix not in _SUFFIXES or path.name in files or not path.is_file():
                continue
            current = _read(path)
            if current is not None and is_generated(current):
                changes.append(Change(path, "remove"))
    return changes


def apply_changes(changes: list[Change]) -> None:
    """Write and remove files as planned (creating the folder if needed)."""
    for change in changes:
        if change.action == "remove":
            change.path.unlink(missing_ok=True)
            continue
        change.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = change.path.with_name(f".{change.path.name}.tmp")
        temporary.write_text(change.text, encoding="utf-8", newline="\n")
        temporary.replace(change.path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
