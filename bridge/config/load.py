"""Load the trigger file: YAML with positions → models → cross-checks, every problem at once.

`load_config` is what the daemon, ``validate``, ``test`` and the generator call, so they refuse
the same files with the same messages. Each problem names the file, the line, the field and what
to do; a value that came from a ``BRIDGE_*`` environment variable is blamed on that variable.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import SettingsError

from bridge.config.model import BridgeConfig
from bridge.config.yamlfile import Location, YamlDocument, read_yaml
from bridge.errors import ConfigError, PathError, Problem
from bridge.events import canonical_header
from bridge.paths import DataPath

__all__ = ["LoadedConfig", "load_config"]

ENV_PREFIX = "BRIDGE_"


@dataclass(frozen=True)
class LoadedConfig:
    """A valid configuration, where it came from, and the warnings found while checking it."""

    config: BridgeConfig
    file: Path
    warnings: list[Problem] = field(default_factory=list)

    @property
    def state_path(self) -> Path:
        """The journal's path; a relative one is relative to the trigger file's folder."""
        path = self.config.state.path
        return path if path.is_absolute() else self.file.parent / path


def load_config(
    file: Path | str, environ: Mapping[str, str] | None = None, *, need_env: bool = True
) -> LoadedConfig:
    """Read and check the trigger file at `file`.

    Args:
        file: the trigger file.
        environ: where ``${VAR}`` comes from (default: the process environment).
        need_env: False for commands that only read the journal (``history``): an unset
            variable (a webhook secret, say) is then no error, and its value stays empty.

    Raises:
        ConfigError: with every problem found (syntax, unknown keys, bad values, duplicates).
    """
    path = Path(file)
    env = os.environ if environ is None else environ
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(
            [Problem(str(path), None, "", f"cannot read the file: {reason}")]
        ) from None
    doc = read_yaml(text, str(path), env, placeholders=not need_env)
    problems = [*doc.problems, *doc.unset]
    reported = {p.field for p in problems}  # a missing ${VAR} is not also an "empty value"
    if doc.data is None and not problems:
        problems.append(
            Problem(str(path), None, "", "the file is empty; see examples/ for a start")
        )
    elif doc.data is not None and not isinstance(doc.data, dict):
        problems.append(doc.problem((), "the file must be a mapping with `triggers:` at the top"))
    if not isinstance(doc.data, dict):
        raise ConfigError(problems)
    warnings: list[Problem] = []
    problems.extend(_cross_check(doc, warnings))
    config = None
    try:
        config = BridgeConfig(**doc.data)
    except ValidationError as exc:
        found = (_problem(doc, error) for error in exc.errors())
        problems.extend(p for p in found if p.field not in reported)
    except SettingsError as exc:
        problems.append(Problem("environment", None, "", f"{exc}; check the BRIDGE_* variables"))
    if problems or config is None:
        raise ConfigError(problems)
    return LoadedConfig(config, path.resolve(), warnings)


def _problem(doc: YamlDocument, error: ErrorDetails) -> Problem:
    location: Location = tuple(error["loc"])
    message = _message(error, location)
    variable = _env_variable(location, os.environ)  # where pydantic-settings reads BRIDGE_*
    if variable is not None:
        return Problem("environment", None, variable, message)
    return doc.problem(location, message)


def _message(error: ErrorDetails, location: Location) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(location[:-1])
        close = difflib.get_close_matches(str(location[-1]), allowed, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        return f"unknown key; {hint}allowed here: {', '.join(allowed)}"
    if kind == "missing":
        return "required key is missing"
    message = error["msg"].removeprefix("Value error, ")
    if kind == "literal_error":
        message += f" (got {error['input']!r})"
    return message


def _env_variable(location: Location, env: Mapping[str, str]) -> str | None:
    for name in env:
        if not name.upper().startswith(ENV_PREFIX):
            continue
        parts = tuple(name[len(ENV_PREFIX) :].lower().split("__"))
        if tuple(str(p).lower() for p in location[: len(parts)]) == parts:
            return name
    return None


def _allowed_keys(location: Location) -> list[str]:
    model: Any = BridgeConfig
    for part in location:
        if isinstance(part, int):
            continue
        field_info = _field(model, part)
        if field_info is None:
            return []
        model = _unwrap(field_info.annotation)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [info.alias or name for name, info in model.model_fields.items()]


def _field(model: Any, key: str) -> Any:
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _unwrap(annotation: Any) -> Any:
    """Find the model inside ``X | None`` or ``tuple[X, ...]``."""
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union, tuple, list):
        for arg in typing.get_args(annotation):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                return arg
    return annotation


def _cross_check(doc: YamlDocument, warnings: list[Problem]) -> list[Problem]:
    """Checks across items, on the raw data so they run even when a model check fails."""
    triggers = doc.data.get("triggers")
    if not isinstance(triggers, list) or not triggers:
        return [doc.problem(("triggers",), "add at least one trigger under `triggers:`")]
    problems: list[Problem] = []
    names: dict[str, int] = {}
    routes: dict[tuple[str, str], int] = {}
    for index, trigger in enumerate(triggers):
        if not isinstance(trigger, dict):
            continue
        name = trigger.get("name")
        if isinstance(name, str):
            if name in names:
                problems.append(
                    doc.problem(
                        ("triggers", index, "name"),
                        f"trigger name {name!r} is already used by triggers[{names[name]}]; "
                        "names must be unique",
                    )
                )
            names.setdefault(name, index)
        webhook = _get(trigger, "on", "webhook")
        minio_hook = _get(trigger, "on", "minio", "webhook")
        if isinstance(minio_hook, dict):
            webhook = {"path": minio_hook.get("path") or f"/hooks/minio/{name}", "method": "POST"}
        if isinstance(webhook, dict) and isinstance(webhook.get("path"), str):
            route = (webhook["path"], str(webhook.get("method", "POST")).upper())
            if route in routes:
                problems.append(
                    doc.problem(
                        ("triggers", index, "on", "webhook", "path"),
                        f"{route[1]} {route[0]} is already served by triggers[{routes[route]}]",
                    )
                )
            routes.setdefault(route, index)
            problems.extend(_check_header_paths(doc, index, trigger, warnings))
    return problems


def _check_header_paths(
    doc: YamlDocument, index: int, trigger: dict[str, Any], warnings: list[Problem]
) -> list[Problem]:
    """Header names in paths must be Go-canonical, as Argo Events stores them."""
    candidates: list[tuple[Location, Any, bool]] = [
        (
            ("triggers", index, "on", "webhook", "dedupKey"),
            _get(trigger, "on", "webhook", "dedupKey"),
            False,
        )
    ]
    for i, parameter in enumerate(trigger.get("parameters") or []):
        if isinstance(parameter, dict):
            candidates.append(
                (("triggers", index, "parameters", i, "from"), parameter.get("from"), True)
            )
    problems: list[Problem] = []
    for location, text, is_parameter in candidates:
        if not isinstance(text, str) or not text.startswith("header."):
            continue
        try:
            parts = DataPath.parse(text).parts
        except PathError:
            continue  # the model reports bad syntax
        if len(parts) < 2:
            continue
        canonical = canonical_header(parts[1])
        if canonical != parts[1]:
            fixed = ".".join(("header", canonical, *parts[2:]))
            problems.append(
                doc.problem(location, f"header names are stored as Go writes them: use {fixed}")
            )
        elif is_parameter and len(parts) == 2:
            warnings.append(
                doc.problem(
                    location,
                    f'{text} is the list of all values (e.g. ["abc"]); '
                    f"use {text}.0 for the first value",
                )
            )
    return problems


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
