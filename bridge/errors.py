"""The one tree of errors the bridge raises, classified where they arise.

    BridgeError
     ├── ConfigError          the trigger file or the environment is wrong
     ├── PathError            a path into event data is not valid syntax
     ├── JournalError         the SQLite journal cannot be opened or is from a newer version
     └── SubmitError          the Argo Server refused or could not be reached
          ├── RetryableSubmitError   connection failure, timeout, 5xx, 429: try again later
          └── PermanentSubmitError   any other 4xx: retrying cannot help (the server's message)

A 409 AlreadyExists is not here: it is a successful outcome (the workflow exists), see `argo.py`.
Control flow is never an exception: a skipped or deduplicated event is a value in `evaluate.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BridgeError",
    "ConfigError",
    "JournalError",
    "PathError",
    "PermanentSubmitError",
    "Problem",
    "RetryableSubmitError",
    "SubmitError",
]


class BridgeError(Exception):
    """Base of every error the bridge raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration, located as precisely as it can be.

    Attributes:
        file: the trigger file, or a description such as "environment".
        line: 1-based line in `file`, or None when it has none (environment variables).
        field: the dotted location, e.g. ``triggers[0].on.webhook.auth``.
        message: what is wrong and what to do about it.
    """

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ConfigError(BridgeError):
    """The configuration is invalid; `problems` lists every problem, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.field))
        super().__init__("\n".join(str(p) for p in self.problems))


class PathError(BridgeError):
    """A path into event data (``body.employee.email``) is not valid syntax."""


class JournalError(BridgeError):
    """The journal cannot be used (unreadable file, newer schema version)."""


class SubmitError(BridgeError):
    """Submission to the Argo Server did not succeed."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class RetryableSubmitError(SubmitError):
    """A failure that may pass: connection error, timeout, 5xx or 429."""


class PermanentSubmitError(SubmitError):
    """A refusal that retrying cannot change: a 4xx other than 409 and 429."""
