"""What-if launcher: the daemon with candidate fixes applied in memory, for benchmarks only.

It is NOT the shipped daemon. `bench.submit_latency` (config ``bridge-fixclaim``) runs it next
to the real one, so the effect of the fix proposed in docs/benchmarks.md is measured, not
guessed:

* ``--fix-claim``: `Journal.claim_due` selects ``state = 'received' AND next_attempt_at <= ?
  ORDER BY seq LIMIT ?``; no index yields that order for received rows, so SQLite scans the
  table from the oldest row (``SCAN events``) past every submitted row of history: O(journal
  size) on every dispatcher pass, i.e. on every event's way to Argo. The patch adds the index
  ``ON events (seq) WHERE state = 'received'`` when the journal is opened.

Run: ``python -m bench.daemon_patched [--fix-claim] run --config FILE ...``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bridge import cli
from bridge.journal import Journal

CLAIM_INDEX = (
    "CREATE INDEX IF NOT EXISTS bench_events_received_seq ON events (seq) WHERE state = 'received'"
)


def fix_claim() -> None:
    """Add the partial index that lets claim_due read received rows in seq order."""
    original = Journal.open.__func__  # type: ignore[attr-defined]

    def open_with_index(cls: type[Journal], path: Path) -> Journal:
        journal: Journal = original(cls, path)
        journal._db.execute(CLAIM_INDEX)
        return journal

    Journal.open = classmethod(open_with_index)  # type: ignore[assignment,method-assign]


def main() -> int:
    """Apply the requested fixes, then hand the remaining arguments to the real CLI."""
    argv = sys.argv[1:]
    if "--fix-claim" in argv:
        argv.remove("--fix-claim")
        fix_claim()
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
