"""Upload-to-submit latency for S3 uploads, next to the S3 server's own delivery to a bare receiver.

Run: ``.venv/bin/python -m bench.minio_uploads [--uploads 1000] [--runs 3]``. Needs the S3 server
built by ``scripts/install-s3-server`` (Versity Gateway: MinIO cannot be built here, and Versity
has no listen stream, so both sides use its event webhook; see README "MinIO uploads").

Each run starts a fresh S3 server and uploads N small objects one after another, twice:

- baseline: the server's webhook posts to a bare receiver (stdlib HTTP, answers 200 at once);
  measured: upload start → the receiver has the event;
- bridge: the server's webhook posts to the trigger-bridge daemon (``delivery: webhook``), which
  journals and submits to the Argo Server double; measured: upload start → the double has the
  workflow.

Printed per run: p50/p99 latency and events per second for both, and the bridge's added p50/p99
(ms) and rate ratio; then the medians over the runs. The difference is the bridge's cost: HTTP
ingest, the durable journal commit, evaluation and one submission over HTTP.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.logs import configure_logging  # noqa: E402
from tests.argo_double import ArgoDouble  # noqa: E402
from tests.s3_server import S3Server, free_port  # noqa: E402

CONFIG = """
argo: {{server: "{argo}", token: test-token}}
http: {{listen: "127.0.0.1:{port}"}}
state: {{path: "{state}"}}
submit: {{concurrency: 4, ratePerSecond: 10000}}
minio:
  {{endpoint: "{endpoint}", accessKey: "{access}", secretKey: "{secret}", secure: false}}
triggers:
  - name: drone-photos
    on:
      minio:
        bucket: raw
        prefix: flights/
        suffix: .jpg
        delivery: webhook
        webhook: {{auth: none}}
        keyEncoding: plain
        catchup: none
    workflowTemplate: drone-pipeline
    parameters:
      - {{name: bucket, from: notification.0.s3.bucket.name}}
      - {{name: key, from: notification.0.s3.object.key}}
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Receiver:
    """A bare webhook receiver: stamps each record's key on arrival."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.done = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                now = time.perf_counter()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                for record in json.loads(body or b"{}").get("Records") or []:
                    with receiver.done:
                        receiver.arrived[record["s3"]["object"]["key"]] = now
                        receiver.done.notify_all()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float) -> bool:
        with self.done:
            return self.done.wait_for(lambda: len(self.arrived) >= count, timeout)


def upload_all(s3: S3Server, keys: list[str]) -> dict[str, float]:
    client = s3.client()
    if not client.bucket_exists(bucket_name="raw"):
        client.make_bucket(bucket_name="raw")
    started = {}
    for key in keys:
        started[key] = time.perf_counter()
        client.put_object(bucket_name="raw", object_name=key, data=io.BytesIO(b"photo"), length=5)
    return started


def summary(name: str, started: dict[str, float], arrived: dict[str, float]) -> dict[str, float]:
    latencies = [(arrived[k] - started[k]) * 1000 for k in started]
    span = max(arrived.values()) - min(started.values())
    result = {
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "rate": len(started) / span,
    }
    p50, p99, rate = result["p50"], result["p99"], result["rate"]
    print(f"  {name:8s} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  {rate:7.1f} events/s")
    return result


def baseline(uploads: int) -> dict[str, float]:
    receiver = Receiver()
    with S3Server() as s3:
        s3.start(
            webhook_url=f"http://127.0.0.1:{receiver.port}/", event_filter=["s3:ObjectCreated:Put"]
        )
        receiver.arrived.clear()  # the server's start-up test event
        keys = [f"flights/base/{i:05d}.jpg" for i in range(uploads)]
        started = upload_all(s3, keys)
        if not receiver.wait(uploads, 120):
            raise SystemExit(f"baseline: only {len(receiver.arrived)} of {uploads} events arrived")
    receiver.server.shutdown()
    return summary("baseline", started, receiver.arrived)


def wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the daemon did not start")


def through_bridge(uploads: int, folder: Path) -> dict[str, float]:
    argo = ArgoDouble(token="test-token").start()
    argo.add_template("drone-pipeline", parameters=[{"name": "bucket"}, {"name": "key"}])
    submitted: dict[str, float] = {}
    original = argo._create_workflow  # stamp each stored workflow (bench only)

    def stamped(ns: str, wf: dict[str, Any], *, store: bool) -> dict[str, Any]:
        result = original(ns, wf, store=store)
        for parameter in wf["spec"]["arguments"]["parameters"]:
            if parameter["name"] == "key":
                submitted[parameter["value"]] = time.perf_counter()
        return result

    argo._create_workflow = stamped  # type: ignore[method-assign]
    port = free_port()
    with S3Server() as s3:
        config = folder / "bridge.yaml"
        config.write_text(
            CONFIG.format(
                argo=argo.url,
                port=port,
                state=folder / "state.db",
                endpoint=s3.endpoint,
                access=s3.access_key,
                secret=s3.secret_key,
            )
        )
        # the daemon runs as in production: a process of its own
        daemon = subprocess.Popen(
            [sys.executable, "-m", "bridge", "run", "-c", str(config), "--log-level", "warning"],
            stderr=(folder / "daemon.log").open("wb"),
        )
        try:
            wait_healthy(port)
            s3.start(
                webhook_url=f"http://127.0.0.1:{port}/hooks/minio/drone-photos",
                event_filter=["s3:ObjectCreated:Put"],
            )
            keys = [f"flights/bridge/{i:05d}.jpg" for i in range(uploads)]
            started = upload_all(s3, keys)
            deadline = time.monotonic() + 120
            while len(submitted) < uploads and time.monotonic() < deadline:
                time.sleep(0.05)  # a benchmark's own polling; tests never do this
        finally:
            daemon.terminate()
            daemon.wait(30)
    argo.stop()
    if len(submitted) < uploads:
        raise SystemExit(f"bridge: only {len(submitted)} of {uploads} workflows were submitted")
    return summary("bridge", started, submitted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    configure_logging("error")
    rows = []
    for run in range(1, args.runs + 1):
        print(f"run {run}: {args.uploads} uploads")
        base = baseline(args.uploads)
        with tempfile.TemporaryDirectory() as folder:
            bridged = through_bridge(args.uploads, Path(folder))
        added = (bridged["p50"] - base["p50"], bridged["p99"] - base["p99"])
        ratio = bridged["rate"] / base["rate"]
        print(
            f"  added    p50 {added[0]:+7.2f} ms  p99 {added[1]:+7.2f} ms  rate ratio {ratio:.2f}x"
        )
        rows.append((base, bridged, added, ratio))
    print(f"median over {len(rows)} runs:")
    for name, side in (("baseline", [r[0] for r in rows]), ("bridge", [r[1] for r in rows])):
        p50 = statistics.median(figures["p50"] for figures in side)
        p99 = statistics.median(figures["p99"] for figures in side)
        rate = statistics.median(figures["rate"] for figures in side)
        print(f"  {name:8s} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  {rate:7.1f} events/s")
    print(
        f"  added    p50 {statistics.median(r[2][0] for r in rows):+7.2f} ms  "
        f"p99 {statistics.median(r[2][1] for r in rows):+7.2f} ms  "
        f"rate ratio {statistics.median(r[3] for r in rows):.2f}x"
    )


if __name__ == "__main__":
    main()
