"""The journal's SQLite schema, as an ordered list of migrations.

``MIGRATIONS[n]`` takes a database from schema version ``n`` to ``n + 1``; `Journal.open` applies
the missing ones in order, each in its own transaction, and records the version in
``PRAGMA user_version``. Add a step at the end; never edit a released one.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

_SCHEMA_V1: Final = """
CREATE TABLE events (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    source          TEXT NOT NULL,
    trigger         TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    data            TEXT NOT NULL,
    dedup_key       TEXT,
    workflow        TEXT,
    template        TEXT,
    parameters      TEXT,
    labels          TEXT,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL,
    last_error      TEXT,
    duplicate_of    TEXT,
    updated_at      TEXT NOT NULL
);
CREATE INDEX events_due ON events (next_attempt_at) WHERE state = 'received';
CREATE INDEX events_by_trigger ON events (trigger, seq);
CREATE UNIQUE INDEX events_live_key ON events (trigger, dedup_key)
    WHERE state IN ('received', 'submitted', 'dry-run');
"""
_SCHEMA_V2: Final = """
ALTER TABLE events ADD COLUMN overlap TEXT;
CREATE TABLE trigger_state (
    trigger    TEXT PRIMARY KEY,
    cursor     REAL,
    paused     INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
"""
_SCHEMA_V3: Final = """
CREATE INDEX events_key ON events (trigger, dedup_key);
"""
_SCHEMA_V4: Final = """
CREATE INDEX events_waiting ON events (seq) WHERE state = 'received';
"""
# MIGRATIONS[n] takes schema n to n + 1; v4 lets the dispatcher's claim walk only waiting rows
MIGRATIONS: Final = (_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3, _SCHEMA_V4)
SCHEMA_VERSION: Final = len(MIGRATIONS)
