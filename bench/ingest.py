"""Webhook ingest rate of the real daemon next to a bare endpoint on the same HTTP stack.

Compared, in the same run, with the same `wrk` load (``bench/webhook.lua``: POST of a 436-byte
JSON body with a bearer token and a unique ``X-Request-Id`` per request, so nothing is
deduplicated):

* ``bare``: `bench.bare_server` with ``--loop daemon``, a Starlette route answering 202 JSON,
  served exactly as the daemon serves (uvicorn ``Server.serve`` under ``asyncio.run``: stdlib
  asyncio loop + httptools). This is the baseline for every ratio (goals G1-G3).
* ``bare-uvloop``: the same route on uvicorn's defaults (uvloop + httptools), for reference only:
  it shows what the daemon's event loop choice costs.
* ``bridge-argo``: ``python -m bridge run`` at ``--log-level warning`` submitting to the Argo
  Server double (`tests.argo_double`, in this process), i.e. production wiring: the dispatcher
  is paced at the default 20 submits/s, so the journal mostly just grows during the run.
* ``bridge-dry``: the daemon in dry-run (no ``argo.server``): the dispatcher marks *every* event
  ``dry-run`` as fast as it can, one commit per event, competing with ingest for the journal.
* ``bridge-argo-info``: ``bridge-argo`` at ``--log-level info`` (one JSON log line per event,
  written to a file), to show the cost of logging.

Each figure is a fresh server and a fresh journal; a 2 s warm-up run is discarded; then
``wrk -t1 -c64 -d10s`` and, on another fresh server, ``wrk -t1 -c1 -d5s``. Servers are pinned to
one core and wrk (and this driver, which hosts the Argo double) to the other with ``taskset``.
After each bridge measurement the daemon is killed with SIGKILL and its journal (SQLite, table
``events``) is read: every request that got a 202 must have a row (the check compares the
``X-Request-Id`` values issued with the ``dedup_key`` column).

Run from the repository root: ``.venv/bin/python -m bench.ingest`` (``--help`` for options).
Needs ``wrk`` (``apt-get install wrk``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    PYTHON,
    ROOT,
    fmt_ratio,
    free_port,
    machine_line,
    median,
    pin_self,
    pinning,
    server_process,
    taskset_prefix,
)
from bridge.clock import SystemClock
from bridge.config.load import load_config
from bridge.evaluate import evaluate
from bridge.events import make_event, webhook_data
from bridge.journal import Journal
from tests.argo_double import ArgoDouble
from tests.helpers import write_config

LUA = ROOT / "bench" / "webhook.lua"
CONFIGS = ("bare", "bare-uvloop", "bridge-argo", "bridge-dry", "bridge-argo-info")
TEMPLATE_PARAMETERS = [{"name": "email"}, {"name": "source", "value": "default"}]


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run reported (latencies in ms)."""

    requests: int
    issued: int
    duration_s: float
    accepted: int
    other: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rate(self) -> float:
        """202 answers per second."""
        return self.accepted / self.duration_s


@dataclass(frozen=True)
class Durability:
    """The journal read back after SIGKILL, against what wrk saw."""

    rows: int
    missing_ids: int
    unanswered: int
    bad_states: int

    @property
    def ok(self) -> bool:
        """Every 202 has its row: the only ids without a row are requests wrk never saw answered."""
        return self.missing_ids <= self.unanswered and self.bad_states == 0


@dataclass(frozen=True)
class Figure:
    """One measured configuration at one concurrency."""

    config: str
    connections: int
    wrk: WrkResult
    durability: Durability | None


def require_wrk() -> str:
    """Return wrk's path or exit with the install hint."""
    path = shutil.which("wrk")
    if path is None:
        sys.exit("error: `wrk` is not installed; run `apt-get update && apt-get install -y wrk`")
    return path


def run_wrk(
    wrk: str, port: int, connections: int, seconds: float, tag: str, cpu: int | None
) -> WrkResult:
    """Run wrk with the webhook script; parse the WRK_RESULT line it prints."""
    argv = [*taskset_prefix(cpu), wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    argv += ["--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{port}", "--", tag]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRK_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    data = json.loads(line.removeprefix("WRK_RESULT "))
    errors = sum(data[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return WrkResult(
        requests=data["requests"],
        issued=data["issued"],
        duration_s=data["duration_us"] / 1e6,
        accepted=data["accepted"],
        other=data["other"],
        errors=errors,
        p50_ms=data["p50_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        max_ms=data["max_us"] / 1e3,
    )


def check_journal(state: Path, tag: str, result: WrkResult) -> Durability:
    """Read the journal of a killed daemon; compare the run's rows with the ids wrk issued."""
    db = sqlite3.connect(state)
    try:
        rows = db.execute(
            "SELECT dedup_key, state FROM events WHERE dedup_key LIKE ?", (f"{tag}-%",)
        ).fetchall()
    finally:
        db.close()
    present = {key for key, _ in rows}
    expected = {f"{tag}-1-{n}" for n in range(1, result.issued + 1)}  # wrk -t1: thread id 1
    bad = sum(1 for _, state in rows if state not in ("received", "submitted", "dry-run"))
    return Durability(
        rows=len(rows),
        missing_ids=len(expected - present),
        unanswered=result.issued - result.accepted,
        bad_states=bad,
    )


def prefill_journal(config_path: Path, count: int) -> None:
    """Journal `count` onboarding events before the daemon starts (a journal with history)."""
    if count <= 0:
        return
    loaded = load_config(config_path, environ={})
    trigger = loaded.config.trigger("onboarding")
    assert trigger is not None
    journal = Journal.open(loaded.state_path)
    clock = SystemClock()
    try:
        for start in range(0, count, 1000):
            entries = []
            for n in range(start, min(count, start + 1000)):
                headers = [("X-Request-Id", f"prefill-{n}"), ("Content-Type", "application/json")]
                data = webhook_data(headers, {"employee": {"email": f"p{n}@example.org"}})
                event = make_event("webhook", trigger.name, data, clock)
                entries.append((event, evaluate(trigger, event)))
            journal.record(entries, clock.now())
    finally:
        journal.close()


def measure(
    name: str,
    wrk: str,
    connections: int,
    seconds: float,
    warmup: float,
    cpus: tuple[int | None, int | None],
    tag: str,
    double: ArgoDouble,
    prefill: int,
) -> Figure:
    """Start a fresh server for `name`, warm up, measure once, stop (SIGKILL for the bridge)."""
    server_cpu, client_cpu = cpus
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        if name.startswith("bare"):
            loop = "uvloop" if name == "bare-uvloop" else "daemon"
            argv = [*taskset_prefix(server_cpu), PYTHON, "-m", "bench.bare_server"]
            argv += ["--port", str(port), "--loop", loop]
            with server_process(argv, port, "/healthz"):
                run_wrk(wrk, port, connections, warmup, f"{tag}w", client_cpu)
                result = run_wrk(wrk, port, connections, seconds, tag, client_cpu)
            return Figure(name, connections, result, None)
        server = double.url if name.startswith("bridge-argo") else ""
        config = write_config(work, server=server, port=port)
        prefill_journal(config, prefill)
        level = "info" if name.endswith("-info") else "warning"
        argv = [*taskset_prefix(server_cpu), PYTHON, "-m", "bridge", "run", "--config"]
        argv += [str(config), "--log-level", level, "--log-format", "json"]
        with (
            open(work / "daemon.log", "wb") as log,
            server_process(argv, port, "/healthz", log, signal.SIGKILL),
        ):
            run_wrk(wrk, port, connections, warmup, f"{tag}w", client_cpu)
            result = run_wrk(wrk, port, connections, seconds, tag, client_cpu)
        return Figure(name, connections, result, check_journal(work / "state.db", tag, result))


def print_figure(run: int, fig: Figure, bare: Figure | None) -> None:
    """One line per figure, with the same-run bare ratio."""
    w = fig.wrk
    ratio = fmt_ratio(w.rate / bare.wrk.rate) if bare is not None and bare is not fig else "-"
    line = (
        f"run {run} {fig.config:<17} c={fig.connections:<3} {w.rate:>9.0f} 202/s  "
        f"p50 {w.p50_ms:7.2f} ms  p99 {w.p99_ms:7.2f} ms  vs bare {ratio:>6}"
    )
    if w.other or w.errors:
        line += f"  NON-202: {w.other}, socket errors: {w.errors}"
    d = fig.durability
    if d is not None:
        verdict = "OK" if d.ok else "FAILED"
        line += (
            f"\n      journal check {verdict}: {d.rows} rows for {w.accepted} 202s; "
            f"{d.missing_ids} issued ids without a row (<= {d.unanswered} unanswered at stop)"
        )
    print(line, flush=True)


def main() -> None:
    """Parse options, run every configuration `--runs` times, print per-run and median tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="c=64 run, seconds")
    parser.add_argument("--c1-duration", type=float, default=5.0, help="c=1 run, seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded run, seconds")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated subset")
    parser.add_argument("--prefill", type=int, default=0, help="journal rows before each start")
    parser.add_argument("--no-c1", action="store_true", help="skip the concurrency-1 runs")
    parser.add_argument("--server-cpu", type=int)
    parser.add_argument("--client-cpu", type=int)
    args = parser.parse_args()
    wrk = require_wrk()
    names = [n for n in args.configs.split(",") if n]
    unknown = set(names) - set(CONFIGS)
    if unknown:
        sys.exit(f"unknown configs {sorted(unknown)}; choose from {', '.join(CONFIGS)}")
    cpus = pinning(args.server_cpu, args.client_cpu)
    pin_self(cpus[1])
    print(f"# ingest benchmark; {machine_line()}")
    print(f"# servers on cpu {cpus[0]}; wrk and this driver (Argo double) on cpu {cpus[1]}")
    print(f"# journal prefill: {args.prefill} rows")
    double = ArgoDouble(token="test-token").start()
    double.add_template("onboard-employee", parameters=TEMPLATE_PARAMETERS)
    levels = [(args.connections, args.duration)] + ([] if args.no_c1 else [(1, args.c1_duration)])
    figures: dict[tuple[str, int], list[Figure]] = {}
    ratios: dict[tuple[str, int], list[tuple[float, float]]] = {}
    try:
        for run in range(1, args.runs + 1):
            for connections, seconds in levels:
                bare: Figure | None = None
                for name in names:
                    tag = f"r{run}c{connections}{name.replace('-', '')}"
                    fig = measure(
                        name,
                        wrk,
                        connections,
                        seconds,
                        args.warmup,
                        cpus,
                        tag,
                        double,
                        args.prefill,
                    )
                    if name == "bare":
                        bare = fig
                    figures.setdefault((name, connections), []).append(fig)
                    if bare is not None:
                        ratios.setdefault((name, connections), []).append(
                            (fig.wrk.rate / bare.wrk.rate, fig.wrk.p99_ms / bare.wrk.p99_ms)
                        )
                    print_figure(run, fig, bare)
    finally:
        double.stop()
    print_summary(names, levels, figures, ratios)


def print_summary(
    names: list[str],
    levels: list[tuple[int, float]],
    figures: dict[tuple[str, int], list[Figure]],
    ratios: dict[tuple[str, int], list[tuple[float, float]]],
) -> None:
    """Medians over the runs; ratios are medians of the per-run ratios to the same-run bare."""
    print("\n# medians over runs (ratio = median of per-run ratios to the same-run `bare`)")
    print("config            c    202/s   p50 ms   p99 ms   rate ratio  p99 ratio  journal")
    for connections, _ in levels:
        for name in names:
            figs = figures[(name, connections)]
            pairs = ratios.get((name, connections), [])
            checks = [f.durability.ok for f in figs if f.durability is not None]
            journal = ("all OK" if all(checks) else "FAILED") if checks else "-"
            print(
                f"{name:<17} {connections:<3} {median([f.wrk.rate for f in figs]):>8.0f} "
                f"{median([f.wrk.p50_ms for f in figs]):>8.2f} "
                f"{median([f.wrk.p99_ms for f in figs]):>8.2f}   "
                f"{fmt_ratio(median([r for r, _ in pairs])):>9}  "
                f"{fmt_ratio(median([p for _, p in pairs])):>9}  {journal}"
            )
    print(
        "\n# goals (performance.md §5): G1 bridge-argo c=64 rate >= 0.5x bare with every 202 "
        "durable; G2 p99 <= 3x bare; G3 c=1 rate >= 0.25x bare"
    )
    for goal, key, index, limit, above in (
        ("G1", ("bridge-argo", levels[0][0]), 0, 0.5, True),
        ("G2", ("bridge-argo", levels[0][0]), 1, 3.0, False),
        ("G3", ("bridge-argo", 1), 0, 0.25, True),
    ):
        found = ratios.get(key, [])
        if not found:
            continue
        value = median([p[index] for p in found])
        met = value >= limit if above else value <= limit
        print(
            f"{goal}: {fmt_ratio(value)} (limit {'>=' if above else '<='} {limit}x): "
            f"{'met' if met else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
