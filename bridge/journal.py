"""The journal: every accepted event, durable in SQLite before anyone is told it arrived.

One row per event: source, trigger, received time, data, dedup key, the planned submission
(workflow name, template, parameters, labels), state, attempts and last error. States:

    received ──► submitted          (2xx, or 409: the workflow exists)
       │   └──► failed             (a final 4xx, or too many attempts)
       └─ retry: stays received, next_attempt_at moves on
    deduplicated                    (another live event has the same trigger and dedup key)
    failed                          (the event could not be evaluated: the reason says why)
    dry-run                         (no Argo Server configured: rendered and logged only)
    missed                          (a schedule tick not run after downtime: the reason says why)
    skipped                         (not started on purpose: a run of the trigger was active)

Per trigger it also keeps a schedule cursor (every tick up to it is handled) and a paused flag.

SQLite runs in WAL mode with ``synchronous=FULL``: a commit is on disk when it returns. This class
is synchronous and not thread-safe; `bridge.journal_async` runs it on one thread and groups
commits. The attempt counter goes up in the same transaction that claims a row, so an attempt
cut short by a crash still counts.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, get_args

from bridge.errors import JournalError
from bridge.evaluate import Decision, Failure, Overlap, Skip, Submission
from bridge.events import Event
from bridge.journal_schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "STATES",
    "Journal",
    "JournalRow",
    "Recorded",
    "Settlement",
    "State",
]

State = Literal["received", "submitted", "deduplicated", "failed", "dry-run", "missed", "skipped"]
STATES: Final[tuple[State, ...]] = get_args(State)


@dataclass(frozen=True)
class Recorded:
    """What the journal made of an event: its state and the workflow it maps to."""

    event_id: str
    state: State
    workflow: str | None
    reason: str | None = None
    duplicate_of: str | None = None


@dataclass(frozen=True)
class Settlement:
    """An attempt's outcome: a final `state`, or `retry_at` to stay received until then."""

    event_id: str
    state: State
    error: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class JournalRow:
    """One event as stored."""

    id: str
    source: str
    trigger: str
    received_at: datetime
    data: dict[str, Any]
    dedup_key: str | None
    workflow: str | None
    template: str | None
    parameters: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    state: State
    attempts: int
    last_error: str | None
    duplicate_of: str | None
    updated_at: datetime
    overlap: Overlap = "allow"

    def submission(self) -> Submission:
        """Rebuild the planned submission of a received row."""
        if self.workflow is None or self.template is None or self.dedup_key is None:
            raise JournalError(f"event {self.id} has no planned submission")
        return Submission(
            self.workflow, self.template, self.dedup_key, self.parameters, self.labels
        )


class Journal:
    """The SQLite journal. Open with `Journal.open(path)`; close when done."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    @classmethod
    def open(cls, path: Path) -> Journal:
        """Open (creating if needed) the journal at `path`.

        Raises:
            JournalError: the file cannot be opened or was written by a newer version.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA busy_timeout=5000")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"{path} was written by a newer trigger-bridge (schema {version}); upgrade"
                )
            for step in range(version, SCHEMA_VERSION):
                db.executescript(
                    f"BEGIN; {MIGRATIONS[step]} PRAGMA user_version={step + 1}; COMMIT;"
                )
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal {path}: {exc}") from exc
        return cls(db)

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def record(
        self,
        entries: Sequence[tuple[Event, Decision]],
        now: datetime,
        cursor: tuple[str, datetime] | None = None,
    ) -> list[Recorded]:
        """Store events and their decisions in one transaction; durable when this returns.

        Args:
            entries: events with what was decided for each.
            now: the time of the change.
            cursor: ``(trigger, time)`` to move that trigger's schedule cursor in the same commit.
        """
        results: list[Recorded] = []
        with self._transaction():
            for event, decision in entries:
                results.append(self._insert(event, decision, now))
            if cursor is not None:
                self._db.execute(
                    "INSERT INTO trigger_state (trigger, cursor, updated_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (trigger) DO UPDATE SET cursor = excluded.cursor,"
                    " updated_at = excluded.updated_at",
                    (cursor[0], cursor[1].timestamp(), _iso(now)),
                )
        return results

    def cursor(self, trigger: str) -> datetime | None:
        """Return the trigger's schedule cursor: every tick up to it is handled."""
        row = self._db.execute(
            "SELECT cursor FROM trigger_state WHERE trigger = ?", (trigger,)
        ).fetchone()
        if row is None or row[0] is None:
            return None
        return datetime.fromtimestamp(row[0], UTC)

    def set_paused(self, trigger: str, paused: bool, now: datetime) -> None:
        """Pause or resume a trigger; a running daemon sees it at the trigger's next tick."""
        with self._transaction():
            self._db.execute(
                "INSERT INTO trigger_state (trigger, paused, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (trigger) DO UPDATE SET paused = excluded.paused,"
                " updated_at = excluded.updated_at",
                (trigger, int(paused), _iso(now)),
            )

    def seen_keys(self, trigger: str, keys: Sequence[str]) -> set[str]:
        """Return which of `keys` the trigger has journaled already, in any state."""
        seen: set[str] = set()
        for start in range(0, len(keys), 500):  # SQLite caps the number of parameters
            chunk = list(keys[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            rows = self._db.execute(
                f"SELECT dedup_key FROM events WHERE trigger = ? AND dedup_key IN ({marks})",  # noqa: S608 - placeholders only
                (trigger, *chunk),
            ).fetchall()
            seen.update(row[0] for row in rows)
        return seen

    def paused(self) -> frozenset[str]:
        """Return the names of the paused triggers."""
        rows = self._db.execute("SELECT trigger FROM trigger_state WHERE paused = 1").fetchall()
        return frozenset(row[0] for row in rows)

    def _insert(self, event: Event, decision: Decision, now: datetime) -> Recorded:
        base = {
            "id": event.id,
            "source": event.source,
            "trigger": event.trigger,
            "received_at": _iso(event.time),
            "data": json.dumps(event.data, ensure_ascii=False, separators=(",", ":")),
            "updated_at": _iso(now),
        }
        if isinstance(decision, Skip):
            self._write(
                base,
                dedup_key=decision.dedup_key,
                workflow=decision.workflow_name,
                state=decision.state,
                last_error=decision.reason,
            )
            return Recorded(event.id, decision.state, decision.workflow_name, decision.reason)
        if isinstance(decision, Failure):
            self._write(
                base,
                dedup_key=decision.dedup_key,
                workflow=decision.workflow_name,
                state="failed",
                last_error=decision.reason,
            )
            return Recorded(event.id, "failed", decision.workflow_name, decision.reason)
        plan = {
            "dedup_key": decision.dedup_key,
            "workflow": decision.workflow_name,
            "template": decision.template,
            "parameters": json.dumps(decision.parameters),
            "labels": json.dumps(decision.labels),
            "overlap": decision.overlap,
        }
        original = self._db.execute(
            "SELECT id FROM events WHERE trigger = ? AND dedup_key = ?"
            " AND state IN ('received', 'submitted', 'dry-run')",  # literal: the index is usable
            (event.trigger, decision.dedup_key),
        ).fetchone()
        if original is not None:
            self._write(base, **plan, state="deduplicated", duplicate_of=original[0])
            return Recorded(event.id, "deduplicated", decision.workflow_name, None, original[0])
        self._write(base, **plan, state="received", next_attempt_at=event.time.timestamp())
        return Recorded(event.id, "received", decision.workflow_name)

    def _write(self, base: dict[str, Any], **columns: Any) -> None:
        row = {**base, **columns}
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self._db.execute(f"INSERT INTO events ({names}) VALUES ({marks})", tuple(row.values()))  # noqa: S608 - column names are ours

    def claim_due(self, now: datetime, limit: int) -> list[JournalRow]:
        """Return up to `limit` received rows that are due, oldest first, counting an attempt."""
        with self._transaction():
            rows = self._db.execute(
                "SELECT * FROM events WHERE state = 'received' AND next_attempt_at <= ? "
                "ORDER BY seq LIMIT ?",
                (now.timestamp(), limit),
            ).fetchall()
            self._db.executemany(
                "UPDATE events SET attempts = attempts + 1, updated_at = ? WHERE id = ?",
                [(_iso(now), row["id"]) for row in rows],
            )
        return [_row(row, attempts_delta=1) for row in rows]

    def next_due(self) -> float | None:
        """Return the epoch second at which the next received row is due, if any."""
        value = self._db.execute(
            "SELECT MIN(next_attempt_at) FROM events WHERE state = 'received'"
        ).fetchone()[0]
        return float(value) if value is not None else None

    def settle(self, settlements: Sequence[Settlement], now: datetime) -> None:
        """Record many outcomes in one transaction: final states, and retries with their time."""
        if not settlements:
            return
        with self._transaction():
            for item in settlements:
                if item.retry_at is not None:
                    self._db.execute(
                        "UPDATE events SET next_attempt_at = ?, last_error = ?, updated_at = ?"
                        " WHERE id = ?",
                        (item.retry_at.timestamp(), item.error, _iso(now), item.event_id),
                    )
                else:
                    self._db.execute(
                        "UPDATE events SET state = ?, last_error = COALESCE(?, last_error),"
                        " updated_at = ?, next_attempt_at = NULL WHERE id = ?",
                        (item.state, item.error, _iso(now), item.event_id),
                    )

    def get(self, event_id: str) -> JournalRow | None:
        """Return one event by id."""
        row = self._db.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        return _row(row) if row is not None else None

    def history(
        self, trigger: str | None = None, state: State | None = None, limit: int = 50
    ) -> list[JournalRow]:
        """Return the newest events first, optionally for one trigger or state."""
        clauses, args = [], []
        if trigger is not None:
            clauses.append("trigger = ?")
            args.append(trigger)
        if state is not None:
            clauses.append("state = ?")
            args.append(state)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.execute(
            f"SELECT * FROM events {where} ORDER BY seq DESC LIMIT ?",  # noqa: S608 - fixed clauses
            (*args, limit),
        ).fetchall()
        return [_row(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """Return the number of events in each state."""
        rows = self._db.execute("SELECT state, COUNT(*) FROM events GROUP BY state").fetchall()
        return dict.fromkeys(STATES, 0) | {row[0]: row[1] for row in rows}

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` on error, mapped to JournalError."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        if kind is None:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._db.execute("ROLLBACK")
                raise JournalError(f"journal commit failed: {error}") from error
        else:
            self._db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise JournalError(f"journal write failed: {exc}") from exc


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _pairs(text: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in json.loads(text)) if text else ()


def _row(row: sqlite3.Row, attempts_delta: int = 0) -> JournalRow:
    return JournalRow(
        id=row["id"],
        source=row["source"],
        trigger=row["trigger"],
        received_at=_parse(row["received_at"]),
        data=json.loads(row["data"]),
        dedup_key=row["dedup_key"],
        workflow=row["workflow"],
        template=row["template"],
        parameters=_pairs(row["parameters"]),
        labels=_pairs(row["labels"]),
        state=row["state"],
        attempts=row["attempts"] + attempts_delta,
        last_error=row["last_error"],
        duplicate_of=row["duplicate_of"],
        updated_at=_parse(row["updated_at"]),
        overlap=row["overlap"] or "allow",
    )
