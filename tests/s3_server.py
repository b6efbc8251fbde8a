"""A real S3 server for integration tests: Versity Gateway on its posix backend.

Which server, and why: the tests were meant to run against MinIO, but the Go module
proxy refuses to serve it (403 "This module version is not available"). As the project's
issue prescribes, they run against Versity Gateway (Apache-2.0) instead, built from source
by `scripts/install-s3-server` (`go install github.com/versity/versitygw/cmd/versitygw@v1.8.0`)
and started here as a separate process on 127.0.0.1.

How Versity's event webhook differs from MinIO's (measured against v1.8.0, see
tests/test_s3_server.py):

- It is configured once for the whole gateway (`--event-webhook-url`, optional
  `--event-filter` JSON file), not per bucket; there is no PutBucketNotification.
- At start-up it POSTs a test event `{"Service":"S3","Event":"s3:TestEvent",...}` and
  EXITS if the connection is refused: the receiver must be listening first.
- The body is `{"Records": [record]}`, without MinIO's top-level `EventName`/`Key`.
- `s3.object.key` is the plain, decoded key (MinIO URL-encodes it for webhook targets).
- One POST per event, fire-and-forget: 3 s timeout, response status ignored, no retry and
  no queue, so an event is lost if the receiver is down (at most once).
- ListenBucketNotification is not implemented: `GET /bucket?events=...` is answered as a
  ListObjects request.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from minio import Minio

SERVER_NAME = "Versity Gateway"
# Keep in step with VERSION in scripts/install-s3-server.
SERVER_VERSION = "v1.8.0"
BINARY_NAME = "versitygw"
NOT_BUILT = "S3 server not built: run scripts/install-s3-server (needs Go)"

HEALTH_PATH = "/health"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# Environment variables versitygw reads (see `versitygw --help`): never inherit them.
_SERVER_ENV_PREFIXES = ("VGW_", "ROOT_ACCESS_KEY", "ROOT_SECRET", "WEBHOOK", "LOGFILE")


def cache_dir() -> Path:
    """Where scripts/install-s3-server puts its build (`$TRIGGER_BRIDGE_CACHE`)."""
    configured = os.environ.get("TRIGGER_BRIDGE_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "trigger-bridge"


def s3_server_binary() -> Path | None:
    """The versitygw binary: `$S3_SERVER_BIN` if set, else the install script's cache."""
    configured = os.environ.get("S3_SERVER_BIN")
    candidate = Path(configured) if configured else cache_dir() / "bin" / BINARY_NAME
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    return None


def require_s3_server_binary() -> Path:
    """The binary, or skip the test; on CI (CI=true) a missing binary fails instead."""
    binary = s3_server_binary()
    if binary is not None:
        return binary
    if os.environ.get("CI") == "true":
        pytest.fail(f"{NOT_BUILT} [CI=true, so this is an error, not a skip]")
    pytest.skip(NOT_BUILT)


def skip_module_unless_built() -> None:
    """Call at the top of a test module: skip the whole module (one summary line) when the
    binary is absent, unless CI=true, where the fixtures' `require_s3_server_binary()` fails.
    """
    if s3_server_binary() is None and os.environ.get("CI") != "true":
        pytest.skip(NOT_BUILT, allow_module_level=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class S3Server:
    """One versitygw process on 127.0.0.1, posix backend in a temporary directory.

    Layout of `root`: `data/` (the posix root: one directory per bucket), `versions/`
    (the versioning directory, so buckets can enable versioning), `server.log`.
    `stop()` keeps the data; `restart()` brings it back on the same port and data;
    `close()` stops and removes the temporary directory.
    """

    def __init__(
        self,
        binary: Path | None = None,
        root: Path | None = None,
        access_key: str = "trigger-bridge-test",
        secret_key: str = "trigger-bridge-test-secret",
        region: str = "us-east-1",
    ) -> None:
        found = binary if binary is not None else s3_server_binary()
        if found is None:
            raise FileNotFoundError(NOT_BUILT)
        self.binary = found
        self._owns_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="s3-server-")) if root is None else root
        self.data_dir = self.root / "data"
        self.versions_dir = self.root / "versions"
        self.log_path = self.root / "server.log"
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.endpoint}"
        self.webhook_url: str | None = None
        self.event_filter: tuple[str, ...] | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # -- life cycle ---------------------------------------------------------------

    def start(
        self, webhook_url: str | None = None, event_filter: Iterable[str] | None = None
    ) -> S3Server:
        """Start the gateway and wait until it answers; return self.

        `webhook_url` turns on the event webhook target (all buckets). Versity POSTs a test
        event to it at start-up and refuses to start if the connection is refused, so the
        receiver must already be listening. `event_filter` limits the events sent to the
        given names (e.g. "s3:ObjectCreated:Put"); without it every event is sent.
        """
        if self._process is not None:
            raise RuntimeError("S3 server already running")
        self.webhook_url = webhook_url
        self.event_filter = tuple(event_filter) if event_filter is not None else None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        args = [
            str(self.binary),
            "--port", self.endpoint,
            "--region", self.region,
            "--health", HEALTH_PATH,
        ]  # fmt: skip
        if webhook_url is not None:
            args += ["--event-webhook-url", webhook_url]
            if self.event_filter is not None:
                filter_path = self.root / "event-filter.json"  # absolute: versitygw chdirs
                filter_path.write_text(json.dumps(dict.fromkeys(self.event_filter, True)))
                args += ["--event-filter", str(filter_path)]
        args += ["posix", "--versioning-dir", str(self.versions_dir), str(self.data_dir)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(_SERVER_ENV_PREFIXES)}
        env |= {"ROOT_ACCESS_KEY": self.access_key, "ROOT_SECRET_KEY": self.secret_key}
        with self.log_path.open("ab") as log:
            log.write(f"--- starting: {' '.join(args)}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        self._wait_ready()
        return self

    def stop(self) -> None:
        """Stop the gateway (SIGTERM, then SIGKILL); the data stays for `restart()`."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def restart(self, webhook_url: str | None = None) -> S3Server:
        """Stop and start again on the same port and data directory.

        Keeps the webhook settings unless a new `webhook_url` is given.
        """
        self.stop()
        return self.start(
            webhook_url=webhook_url if webhook_url is not None else self.webhook_url,
            event_filter=self.event_filter,
        )

    def close(self) -> None:
        """Stop, and remove the temporary directory if this object created it."""
        self.stop()
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> S3Server:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def log_text(self) -> str:
        """Everything the gateway printed (start-up, request log, webhook send errors)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- clients --------------------------------------------------------------------

    def client(self) -> Minio:
        """A `minio.Minio` client for this server."""
        from minio import Minio

        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region=self.region,
        )

    # -- internals ------------------------------------------------------------------

    def _wait_ready(self) -> None:
        """Poll the health endpoint until it answers 200; fail fast if the process exits."""
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            code = self._process.poll()
            if code is not None:
                self._process = None
                raise RuntimeError(
                    f"{SERVER_NAME} exited with status {code} during start-up:\n"
                    + self.log_text()[-4000:]
                )
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.url + HEALTH_PATH, timeout=1) as response,
            ):
                if response.status == 200:
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"{SERVER_NAME} not ready on {self.endpoint} after {START_TIMEOUT}s:\n"
                    + self.log_text()[-4000:]
                )
            time.sleep(0.02)
