"""Plumbing shared by the benchmarks: processes, CPU pinning, ports, readiness and statistics.

Nothing here measures anything by itself; `bench.ingest` and `bench.submit_latency` compare the
bridge with baselines, and both use these helpers so that the two sides of every comparison are
started, pinned and stopped the same way.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
_snapshot: Path | None = None


def take_snapshot() -> str:
    """Copy bridge/, bench/ and tests/ to a private folder; servers and workers run from it.

    Other people edit the working tree while a benchmark runs for minutes; the snapshot keeps
    all figures of one run on one version of the code. Returns a line naming the snapshot (a
    digest of bridge/'s sources) for the report. The folder is removed at interpreter exit.
    """
    global _snapshot  # noqa: PLW0603 - one snapshot per benchmark process
    import atexit
    import hashlib

    root = Path(tempfile.mkdtemp(prefix="bench-code-"))
    atexit.register(shutil.rmtree, root, True)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("bridge", "bench", "tests"):
        shutil.copytree(ROOT / package, root / package, ignore=skip)
    digest = hashlib.sha256()
    for path in sorted((root / "bridge").rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    _snapshot = root
    return f"bridge/ sources sha256 {digest.hexdigest()[:12]}, copied at start to {root}"


def run_checked(argv: Sequence[str]) -> str:
    """Run a child from `run_root()` and return its stdout; on failure raise with its stderr."""
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False, cwd=run_root())
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return done.stdout


def run_root() -> Path:
    """Where servers and workers run from: the snapshot if taken, else the working tree."""
    return _snapshot or ROOT


def taskset_prefix(cpu: int | None) -> list[str]:
    """Return ``["taskset", "-c", N]`` when pinning is possible, else an empty list."""
    if cpu is None or shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", str(cpu)]


def pinning(server_cpu: int | None, client_cpu: int | None) -> tuple[int | None, int | None]:
    """Pick the cores for the server side and the load side; None when pinning is off/useless."""
    cpus = sorted(os.sched_getaffinity(0))
    if shutil.which("taskset") is None or len(cpus) < 2:
        print("note: no taskset or a single CPU: server and load generator are NOT pinned")
        return None, None
    server = cpus[0] if server_cpu is None else server_cpu
    client = cpus[1] if client_cpu is None else client_cpu
    return server, client


def pin_self(cpu: int | None) -> None:
    """Pin this process (and threads it starts later) to `cpu`."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http_ok(port: int, path: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll ``GET path`` until it answers 200.

    Raises:
        RuntimeError: the process exited or did not become ready in time.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode} before ready")
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"server on port {port} not ready after {timeout} s")


@contextlib.contextmanager
def server_process(
    argv: Sequence[str],
    port: int,
    ready_path: str,
    stderr: IO[bytes] | None = None,
    final_signal: int = signal.SIGTERM,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `argv`, wait until ``ready_path`` answers 200, yield it; stop it on exit."""
    process = subprocess.Popen(
        list(argv), cwd=run_root(), stdout=subprocess.DEVNULL, stderr=stderr or subprocess.DEVNULL
    )
    try:
        try:
            wait_http_ok(port, ready_path, process, timeout=30)
        except RuntimeError:
            if stderr is not None and hasattr(stderr, "name"):
                stderr.flush()
                tail = Path(stderr.name).read_text(encoding="utf-8", errors="replace")[-2000:]
                print(f"server failed to start: {' '.join(argv)}\n{tail}", file=sys.stderr)
            raise
        yield process
    finally:
        stop_process(process, final_signal)


def stop_process(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Send `sig` to the process (if still running) and reap it; SIGKILL after 15 s."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest-rank on sorted data; NaN for no data."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """The median; NaN for no data."""
    return statistics.median(values) if values else float("nan")


def machine_line() -> str:
    """One line naming the machine and the versions that matter for these figures."""
    import sqlite3

    import starlette
    import uvicorn

    versions = [f"python {platform.python_version()}", f"sqlite {sqlite3.sqlite_version}"]
    versions += [f"uvicorn {uvicorn.__version__}", f"starlette {starlette.__version__}"]
    for module in ("uvloop", "httptools"):
        try:
            versions.append(f"{module} {__import__(module).__version__}")
        except ImportError:
            versions.append(f"{module} absent")
    cpu = "?"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as info:
        cpu = next((ln.split(":", 1)[1].strip() for ln in info if ln.startswith("model name")), "?")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{stamp}; {os.cpu_count()} vCPU {cpu}; {platform.system()} {platform.release()}; " + (
        ", ".join(versions)
    )


def fmt_ratio(value: float) -> str:
    """``0.53x`` style, or ``n/a``."""
    return "n/a" if math.isnan(value) else f"{value:.2f}x"


def _system_jiffies() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    return total - idle, total


def _process_jiffies(pid: int) -> int:
    """utime + stime of a process (all its threads), in clock ticks; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _own_and_children_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class CpuMeter:
    """CPU used during a measurement: by the server, by us (driver + reaped wrk), by others.

    "Others" is what the whole machine was busy with beyond the server, this process and the
    children it reaped meanwhile: another workload sharing the VM, which skews the figures.
    """

    def __init__(self, server_pid: int | None) -> None:
        self._pid = server_pid
        self._hz = os.sysconf("SC_CLK_TCK")
        self._start = self._sample()

    def _sample(self) -> tuple[int, int, int, float, float]:
        busy, total = _system_jiffies()
        server = _process_jiffies(self._pid) if self._pid is not None else 0
        return busy, total, server, _own_and_children_seconds(), time.monotonic()

    def stop(self) -> CpuUse:
        """Return the CPU use since construction, in cores (1.0 = one core fully busy)."""
        busy0, _, server0, ours0, t0 = self._start
        busy1, _, server1, ours1, t1 = self._sample()
        wall = max(t1 - t0, 1e-9)
        busy = (busy1 - busy0) / self._hz / wall
        server = (server1 - server0) / self._hz / wall
        ours = (ours1 - ours0) / wall
        return CpuUse(server=server, driver=ours, others=max(0.0, busy - server - ours))


@dataclass(frozen=True)
class CpuUse:
    """Average cores in use during a measurement."""

    server: float
    driver: float
    others: float


def wait_until_quiet(limit: float, timeout: float) -> float:
    """Wait until the machine is busy less than `limit` cores over 1 s; return the last value.

    Gives up after `timeout` seconds (the figure is then flagged by its "others" CPU).
    """
    deadline = time.monotonic() + timeout
    announced = False
    while True:
        busy0, _ = _system_jiffies()
        time.sleep(1.0)
        busy1, _ = _system_jiffies()
        busy = (busy1 - busy0) / os.sysconf("SC_CLK_TCK")
        if busy < limit or time.monotonic() > deadline:
            return busy
        if not announced:
            print(
                f"  (machine busy with {busy:.2f} cores of other work; waiting up to "
                f"{timeout:.0f} s for it to go quiet)",
                flush=True,
            )
            announced = True


def prefill_history(state_path: Path, trigger: str, count: int) -> None:
    """Give the journal `count` rows of history: past events of `trigger`, all ``submitted``.

    Written with one raw ``executemany`` (the schema comes from `Journal.open`), because going
    through `Journal.record` would itself pay the per-row cost being measured.
    """
    if count <= 0:
        return
    import json
    import sqlite3

    from bridge.events import new_event_id
    from bridge.journal import Journal
    from bridge.naming import workflow_name

    Journal.open(state_path).close()
    now = datetime.now(UTC)
    stamp = now.isoformat(timespec="microseconds").replace("+00:00", "Z")

    def rows() -> Iterator[tuple[object, ...]]:
        for n in range(count):
            key = f"history-{n}"
            data = {
                "header": {"Content-Type": ["application/json"], "X-Request-Id": [key]},
                "body": {"employee": {"email": f"past{n}@example.org", "name": f"Past {n}"}},
            }
            event_id = new_event_id(now)
            labels = [["trigger-bridge/trigger", trigger], ["trigger-bridge/event", event_id]]
            yield (
                event_id, "webhook", trigger, stamp, json.dumps(data, separators=(",", ":")),
                key, workflow_name(trigger, key), "onboard-employee",
                json.dumps([["email", f"past{n}@example.org"], ["source", "hr-portal"]]),
                json.dumps(labels),
                "submitted", 1, stamp,
            )  # fmt: skip

    db = sqlite3.connect(state_path)
    try:
        with db:
            db.executemany(
                "INSERT INTO events (id, source, trigger, received_at, data, dedup_key, workflow,"
                " template, parameters, labels, state, attempts, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows(),
            )
    finally:
        db.close()
