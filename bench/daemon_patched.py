"""What-if launcher: the daemon with candidate fixes applied in memory, for benchmarks only.

It is NOT the shipped daemon. `bench.ingest` runs it next to the real one (configs ending in
``-fixed``) so the effect of each fix proposed in docs/benchmarks.md is measured, not guessed:

* ``--fix-nodelay``: `Daemon._bind` creates its socket with ``socket.socket(family,
  SOCK_STREAM)``, whose ``proto`` is 0, so asyncio's ``_set_nodelay`` (it checks ``proto ==
  IPPROTO_TCP``) never sets TCP_NODELAY on accepted connections; uvicorn writes the response
  head and body in two writes and Nagle holds the body until the client's delayed ACK (~40 ms).
  The patch re-wraps the bound socket (``socket.socket(fileno=...)`` reads the real protocol, 6).
* ``--fix-dedup``: `Journal._insert` looks up live duplicates with ``state IN (?, ?, ?)``; with
  bound parameters SQLite cannot use the partial index ``events_live_key`` (its WHERE names the
  states literally) and scans every row of the trigger through ``events_by_trigger``: O(journal
  size) per event. The patch rewrites that one statement with the literal states.

Run: ``python -m bench.daemon_patched [--fix-nodelay] [--fix-dedup] run --config FILE ...``.
"""

from __future__ import annotations

import socket
import sqlite3
import sys
from typing import Any

from bridge import cli
from bridge.daemon import Daemon
from bridge.journal import Journal

DEDUP_SQL = "SELECT id FROM events WHERE trigger = ? AND dedup_key = ? AND state IN (?, ?, ?)"
DEDUP_LITERAL = (
    "SELECT id FROM events WHERE trigger = ? AND dedup_key = ? "
    "AND state IN ('received', 'submitted', 'dry-run')"
)


class _RewritingConnection:
    """A sqlite3 connection that runs the literal-state dedup query instead of the bound one."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self.rewritten = 0

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        if sql == DEDUP_SQL:
            self.rewritten += 1
            return self._db.execute(DEDUP_LITERAL, tuple(parameters)[:2])
        return self._db.execute(sql, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def fix_nodelay() -> None:
    """Make the daemon's listening socket report IPPROTO_TCP so asyncio sets TCP_NODELAY."""
    original = Daemon._bind

    def bind(self: Daemon) -> socket.socket:
        sock = original(self)
        fixed = socket.socket(fileno=sock.detach())
        fixed.setblocking(False)
        assert fixed.proto == socket.IPPROTO_TCP
        return fixed

    Daemon._bind = bind  # type: ignore[method-assign]


def fix_dedup() -> None:
    """Wrap every journal connection so the dedup lookup can use its partial index."""
    original = Journal.__init__

    def init(self: Journal, connection: sqlite3.Connection) -> None:
        original(self, _RewritingConnection(connection))  # type: ignore[arg-type]

    Journal.__init__ = init  # type: ignore[method-assign]


def main() -> int:
    """Apply the requested fixes, then hand the remaining arguments to the real CLI."""
    argv = sys.argv[1:]
    if "--fix-nodelay" in argv:
        argv.remove("--fix-nodelay")
        fix_nodelay()
    if "--fix-dedup" in argv:
        argv.remove("--fix-dedup")
        fix_dedup()
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
