"""Small value types of the trigger file: durations, listen addresses, data paths, names.

Each is an ``Annotated`` pydantic type whose validator turns the user's text into a typed value,
with an error message that says what a good value looks like.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Final

from pydantic import BeforeValidator

from bridge.errors import PathError
from bridge.naming import is_dns1123_label
from bridge.paths import DataPath, to_text

__all__ = [
    "DNSLabel",
    "Duration",
    "ListenAddress",
    "ParameterName",
    "ParameterValue",
    "PathText",
    "parse_duration",
    "split_listen",
]

_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNITS: Final = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PARAMETER_NAME: Final = re.compile(r"[-a-zA-Z0-9_]+")


def parse_duration(value: Any) -> timedelta:
    """Read ``250ms``, ``5s``, ``2m``, ``1h30m``, ``7d`` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return timedelta(seconds=value)
    text = str(value).strip()
    if text and _DURATION.sub("", text) == "":
        seconds = sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(text))
        return timedelta(seconds=seconds)
    raise ValueError(f"{value!r} is not a duration; write e.g. 500ms, 5s, 2m, 1h30m or 7d")


def split_listen(value: str) -> tuple[str, int]:
    """Split a checked ``HOST:PORT`` into its parts; an empty host means every interface."""
    host, _, port = value.rpartition(":")
    return (host.strip("[]") or "0.0.0.0", int(port))  # noqa: S104 - ":8080" means every interface, as in Go


def _listen(value: Any) -> str:
    _, sep, port = str(value).rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:  # 0: any free port
        raise ValueError(f"{value!r} is not HOST:PORT; write e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
    return str(value)


def _dns_label(value: Any) -> str:
    if not isinstance(value, str) or not is_dns1123_label(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label: lowercase letters, digits and '-', starting and "
            "ending with a letter or digit, at most 63 characters"
        )
    return value


def _parameter_name(value: Any) -> str:
    if not isinstance(value, str) or not _PARAMETER_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an Argo parameter name: use letters, digits, '-' and '_'"
        )
    return value


def _path(value: Any) -> DataPath:
    if isinstance(value, DataPath):
        return value
    if not isinstance(value, str):
        raise ValueError("a path is text, e.g. body.employee.email or header.X-Request-Id.0")
    try:
        return DataPath.parse(value)
    except PathError as exc:
        raise ValueError(str(exc)) from exc


def _parameter_value(value: Any) -> str:
    if isinstance(value, dict | list):
        raise ValueError(
            "a parameter value is text; quote it, or use `from:` to take it from the event"
        )
    return to_text(value)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
ListenAddress = Annotated[str, BeforeValidator(_listen)]
DNSLabel = Annotated[str, BeforeValidator(_dns_label)]
ParameterName = Annotated[str, BeforeValidator(_parameter_name)]
PathText = Annotated[DataPath, BeforeValidator(_path)]
ParameterValue = Annotated[str, BeforeValidator(_parameter_value)]
