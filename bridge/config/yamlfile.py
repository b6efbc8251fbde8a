"""Read a YAML file into plain data, remembering the line of every key and list item.

The trigger file's loader differs from PyYAML's safe loader in three ways users rely on:
``on:`` stays the string ``on`` (YAML 1.1 would read it as ``True``; only ``true``/``false`` are
booleans here, as in YAML 1.2); a key given twice is an error instead of a silent overwrite;
and ``${VAR}`` in a string is replaced from the environment, a missing variable being an error at
its line (``${VAR:-fallback}`` uses the fallback instead; ``$${`` writes a literal ``${``).
Positions let config errors name the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import yaml

from bridge.errors import Problem

__all__ = ["Location", "YamlDocument", "format_location", "read_yaml"]

Location = tuple[str | int, ...]
_VAR: Final = re.compile(r"\$(\$?)\{([^}]*)\}")
_VAR_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BOOL: Final = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_BOOL_TAG: Final = "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL_TAG, _BOOL, list("tTfF"))


@dataclass
class YamlDocument:
    """The data of one YAML file, the line of each location in it, and the problems found."""

    file: str
    data: Any
    lines: dict[Location, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unset: list[Problem] = field(default_factory=list)  # ${VAR}s missing from the environment

    def line_of(self, location: Location) -> int | None:
        """Return the line of `location`, or of its nearest enclosing location."""
        for end in range(len(location), -1, -1):
            line = self.lines.get(location[:end])
            if line is not None:
                return line
        return None

    def problem(self, location: Location, message: str) -> Problem:
        """Build a Problem located at `location` in this file."""
        return Problem(self.file, self.line_of(location), format_location(location), message)


def format_location(location: Location) -> str:
    """Write a location as ``triggers[0].on.webhook``."""
    out = ""
    for part in location:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def read_yaml(
    text: str, file: str, environ: Mapping[str, str], *, placeholders: bool = False
) -> YamlDocument:
    """Parse `text`; syntax errors, duplicate keys and missing variables become `problems`.

    With `placeholders`, an unset variable without fallback reads ``unset-<NAME>`` instead of
    being a problem (for commands that need no secrets).
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or str(exc)
        if "\t" in text and "tab" not in reason and "found character" in reason:
            reason += " (YAML does not allow tabs for indentation; use spaces)"
        return YamlDocument(
            file, None, problems=[Problem(file, line, "", f"invalid YAML: {reason}")]
        )
    finally:
        loader.dispose()
    doc = YamlDocument(file, None)
    if node is not None:
        doc.data = _Builder(loader, doc, environ, placeholders).build(node, ())
    return doc


class _Builder:
    """Turns composed nodes into data, filling positions and problems of `doc`."""

    def __init__(
        self, loader: _Loader, doc: YamlDocument, environ: Mapping[str, str], placeholders: bool
    ) -> None:
        self.loader = loader
        self.doc = doc
        self.environ = environ
        self.placeholders = placeholders

    def build(self, node: yaml.Node, location: Location) -> Any:
        self.doc.lines.setdefault(location, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, location)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*location, i)) for i, item in enumerate(node.value)]
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, str):
            return self._expand(value, location)
        return value

    def _mapping(self, node: yaml.MappingNode, location: Location) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(self.loader.construct_object(key_node, deep=True))
            child = (*location, key)
            if key in out:
                first = self.doc.lines.get(child)
                self.doc.problems.append(
                    Problem(
                        self.doc.file,
                        key_node.start_mark.line + 1,
                        format_location(child),
                        f"key given twice (first at line {first}); keep one",
                    )
                )
                continue
            self.doc.lines[child] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, child)
        return out

    def _expand(self, value: str, location: Location) -> str:
        def replace(match: re.Match[str]) -> str:
            escaped, name = match.group(1), match.group(2)
            if escaped:
                return "${" + name + "}"
            name, has_fallback, fallback = name.partition(":-")
            if not _VAR_NAME.fullmatch(name):
                self.doc.problems.append(
                    self.doc.problem(location, f"'${{{name}}}' is not a valid variable name")
                )
                return ""
            if name not in self.environ and has_fallback:
                return fallback
            if name not in self.environ and self.placeholders:
                return f"unset-{name}"
            if name not in self.environ:
                self.doc.unset.append(
                    self.doc.problem(
                        location,
                        f"environment variable {name} is not set; export it, or write $${{{name}}} "
                        "for a literal '${'",
                    )
                )
                return ""
            return self.environ[name]

        return _VAR.sub(replace, value) if "$" in value else value
