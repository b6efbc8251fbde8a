"""Logging: structlog, one JSON object per line when not on a terminal, with secrets redacted.

Event names are stable snake_case facts (``event_journaled``, ``workflow_submitted``,
``submit_retry_scheduled``); fields carry the trigger, event id and workflow. The `redact`
processor blanks any field whose name suggests a credential, wherever a caller put it, as a
second line of defence behind `SecretStr`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, Final

import structlog

__all__ = ["configure_logging", "redact"]

_SECRET_WORDS: Final = ("authorization", "token", "secret", "password", "hmac", "bearer", "cookie")


def redact(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace the value of every field whose name contains a secret-ish word."""
    for key in list(event_dict):
        if any(word in key.lower() for word in _SECRET_WORDS):
            event_dict[key] = "[redacted]"
    return event_dict


def configure_logging(level: str = "info", json: bool | None = None) -> None:
    """Set up structlog for the CLI and the daemon.

    Args:
        level: the lowest level to print.
        json: force JSON (True) or console output (False); None picks JSON unless stderr is a TTY.
    """
    use_json = (not sys.stderr.isatty()) if json is None else json
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if use_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
