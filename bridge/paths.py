"""Paths into event data, with the meaning Argo Events gives a Sensor's ``dataKey`` (gjson).

``body.employee.email``, ``header.X-Request-Id.0`` and ``notification.0.s3.object.key`` select
the same value here as in a generated Sensor: components are separated by ``.``; a number
indexes a list (and is a plain key in an object); ``#`` on a list is its length; ``\\`` escapes
the next character, so ``a\\.b`` is the single key ``a.b``. gjson's wildcards, queries and
modifiers are refused when the path is parsed, so a trigger file cannot depend on them.
`to_text` renders a selected value as gjson's ``Result.String()`` does, which is the text a
Sensor puts into a workflow parameter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from bridge.errors import PathError

__all__ = ["MISSING", "DataPath", "to_text"]

_WILDCARDS: Final = frozenset("*?|")
_LEADING: Final = frozenset("@#")


class _Missing:
    """The marker for "the path selects nothing", distinct from a JSON null."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


@dataclass(frozen=True)
class DataPath:
    """A parsed path; `text` is what the user wrote, `parts` its components."""

    text: str
    parts: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> DataPath:
        """Parse `text`.

        Raises:
            PathError: empty components, a trailing escape, or gjson syntax this bridge does
                not support (wildcards, queries, modifiers).
        """
        if not text:
            raise PathError("the path is empty")
        parts: list[str] = []
        current: list[str] = []
        escaped = False
        special = False
        for char in text:
            if escaped:
                current.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == ".":
                parts.append(cls._component(text, current, special))
                current, special = [], False
            else:
                special = special or char in _WILDCARDS or (not current and char in _LEADING)
                current.append(char)
        if escaped:
            raise PathError(f"path {text!r} ends with a lone '\\'")
        parts.append(cls._component(text, current, special))
        return cls(text, tuple(parts))

    @staticmethod
    def _component(text: str, chars: list[str], special: bool) -> str:
        part = "".join(chars)
        if not part:
            raise PathError(
                f"path {text!r} has an empty component (check for '..' or a dot at an end)"
            )
        if special and part != "#":
            raise PathError(
                f"path {text!r}: component {part!r} uses gjson wildcards, queries or modifiers, "
                "which trigger-bridge does not support; escape the character with '\\' if it is "
                "part of a key"
            )
        return part

    def get(self, data: Any) -> Any:
        """Return the value the path selects in `data`, or `MISSING`."""
        value = data
        for part in self.parts:
            if isinstance(value, dict):
                if part not in value:
                    return MISSING
                value = value[part]
            elif isinstance(value, list):
                if part == "#":
                    value = len(value)
                elif part.isdigit() and part.isascii() and int(part) < len(value):
                    value = value[int(part)]
                else:
                    return MISSING
            else:
                return MISSING
        return value

    def __str__(self) -> str:
        return self.text


def to_text(value: Any) -> str:
    """Render a selected value as text, as gjson's ``Result.String()`` does.

    Strings as they are; ``true``/``false``; integers as written; other numbers in plain
    decimal notation (never an exponent); null as the empty string; lists and objects as
    compact JSON.
    """
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
