"""A stand-in for MinIO's ListenBucketNotification stream, over real HTTP on 127.0.0.1.

Versity Gateway (the S3 server the tests build) has no listen API, and MinIO cannot be built here,
so the listen path is tested against this double. It follows MinIO's documented stream format:
``GET /<bucket>?events=…&prefix=…&suffix=…`` answers ``text/event-stream`` with one
``{"Records":[…]}`` JSON document per line, keys not URL-encoded, and a single space as
keep-alive every 0.5 s (MinIO's default when no ``ping`` is asked for). Events pushed while no
client is connected are lost, as with MinIO. `disconnect()` cuts every open stream.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

KEEPALIVE_SECONDS = 0.5


class MinioListenDouble:
    """Serves listen streams; `push` sends a record to every matching open stream."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[dict[str, Any], queue.Queue[dict[str, Any] | None]]] = []
        self._lock = threading.Lock()
        self.connects = 0
        self.down = False  # while set, new streams are refused with 503 (a server restarting)
        self._connected = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.endpoint = f"127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> MinioListenDouble:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.disconnect()
        self._server.shutdown()
        self._server.server_close()

    def push(self, record: dict[str, Any]) -> int:
        """Send `record` to each open stream whose filter matches; return how many got it."""
        sent = 0
        with self._lock:
            for subscription, inbox in self._subscribers:
                if _matches(subscription, record):
                    inbox.put(record)
                    sent += 1
        return sent

    def disconnect(self) -> None:
        """Close every open stream (a MinIO restart, a network cut)."""
        with self._lock:
            for _, inbox in self._subscribers:
                inbox.put(None)

    def wait_for_connects(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until `count` streams have been opened in total."""
        with self._connected:
            return self._connected.wait_for(lambda: self.connects >= count, timeout)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = parse_qs(url.query, keep_blank_values=True)
                if "events" not in query:
                    self.send_error(501, "only the listen API is served here")
                    return
                if double.down:
                    self.send_error(503, "server restarting")
                    return
                subscription = {
                    "bucket": url.path.strip("/"),
                    "prefix": query.get("prefix", [""])[0],
                    "suffix": query.get("suffix", [""])[0],
                    "events": set(query["events"]),
                }
                inbox: queue.Queue[dict[str, Any] | None] = queue.Queue()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("X-Accel-Buffering", "no")
                self.end_headers()
                with double._connected:
                    double._subscribers.append((subscription, inbox))
                    double.connects += 1
                    double._connected.notify_all()
                try:
                    self._stream(inbox)
                finally:
                    with double._lock:
                        double._subscribers.remove((subscription, inbox))
                    self.close_connection = True

            def _stream(self, inbox: queue.Queue[dict[str, Any] | None]) -> None:
                while True:
                    try:
                        record = inbox.get(timeout=KEEPALIVE_SECONDS)
                    except queue.Empty:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        continue
                    if record is None:
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self.wfile.write(json.dumps({"Records": [record]}).encode() + b"\n")
                    self.wfile.flush()

        return Handler


def _matches(subscription: dict[str, Any], record: dict[str, Any]) -> bool:
    s3 = record["s3"]
    key = s3["object"]["key"]
    return (
        s3["bucket"]["name"] == subscription["bucket"]
        and key.startswith(subscription["prefix"])
        and key.endswith(subscription["suffix"])
        and record["eventName"] in subscription["events"]
    )


def record(bucket: str, key: str, etag: str, event: str = "s3:ObjectCreated:Put") -> dict[str, Any]:
    """A MinIO-shaped event record, as the listen stream sends it (key as stored)."""
    return {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "awsRegion": "",
        "eventTime": "2026-12-04T12:00:00.000Z",
        "eventName": event,
        "userIdentity": {"principalId": "minio"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "Config",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": key, "size": 5, "eTag": etag, "sequencer": "1"},
        },
    }
