"""kill -9 in the middle of submitting: after a restart every accepted event runs exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

from bridge.journal import Journal
from tests.argo_double import ArgoDouble
from tests.conftest import judged
from tests.helpers import write_config

pytestmark = pytest.mark.slow
EVENTS = 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_daemon(config: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bridge", "run", "--config", str(config), "--log-format", "json"],
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def wait_healthy(port: int, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the daemon exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)  # the daemon is still binding; nothing else can be awaited here
    raise AssertionError("the daemon did not become healthy")


def test_kill_9_while_submitting_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    argo = judged(ArgoDouble(token="test-token")).start()
    argo.add_template("onboard-employee", parameters=[{"name": "email"}])
    argo.delay = 0.02  # a slow server keeps many events in flight when the kill comes
    port = free_port()
    config = write_config(tmp_path, server=argo.url, port=port)
    log = tmp_path / "daemon.log"
    process = start_daemon(config, log)
    try:
        wait_healthy(port, process)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for i in range(EVENTS):
                response = client.post(
                    "/hooks/onboarding",
                    json={"employee": {"email": f"e{i}@example.org"}},
                    headers={"Authorization": "Bearer hook-token", "X-Request-Id": f"req-{i}"},
                )
                assert response.status_code == 202, response.text
        assert argo.wait_for_submissions(10, timeout=30)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        killed_at = argo.submit_count()
        assert killed_at < EVENTS, "the kill came too late to test anything"

        argo.delay = 0
        process = start_daemon(config, log)
        assert argo.wait_for_submissions(EVENTS, timeout=60), argo.submit_count()
        wait_healthy(port, process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        argo.stop()

    names = Counter(w["metadata"]["name"] for w in argo.submissions)
    assert len(names) == EVENTS
    assert max(names.values()) == 1
    emails = sorted(
        p["value"]
        for w in argo.submissions
        for p in w["spec"]["arguments"]["parameters"]
        if p["name"] == "email"
    )
    assert emails == sorted(f"e{i}@example.org" for i in range(EVENTS))
    journal = Journal.open(tmp_path / "state.db")
    try:
        assert journal.counts()["submitted"] == EVENTS
    finally:
        journal.close()


def test_sigterm_stops_cleanly_and_keeps_pending_events(tmp_path: Path) -> None:
    argo = ArgoDouble(token="test-token").start()
    argo.add_template("onboard-employee", parameters=[{"name": "email"}])
    port = free_port()
    config = write_config(tmp_path, server=argo.url, port=port)
    log = tmp_path / "daemon.log"
    argo.fail_until_cleared(503)
    process = start_daemon(config, log)
    try:
        wait_healthy(port, process)
        response = httpx.post(
            f"http://127.0.0.1:{port}/hooks/onboarding",
            json={"employee": {"email": "a@b"}},
            headers={"Authorization": "Bearer hook-token", "X-Request-Id": "req-x"},
        )
        assert response.status_code == 202
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert b'"bridge_stopped"' in log.read_bytes()
    argo.clear_faults()
    process = start_daemon(config, log)
    try:
        assert argo.wait_for_submissions(1, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        argo.stop()
    assert b"hook-token" not in log.read_bytes()
    assert b"test-token" not in log.read_bytes()
