"""``trigger-bridge minio setup``: MinIO's webhook settings and the bucket notification."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from bridge.cli import main
from bridge.cli_minio import setup
from bridge.config.load import load_config
from tests.s3_server import S3Server, require_s3_server_binary

CONFIG = """
http: {{listen: "0.0.0.0:8080"}}
minio: {{endpoint: "{endpoint}", accessKey: a, secretKey: b, secure: false, region: us-east-1}}
triggers:
  - name: drone-photos
    on:
      minio:
        bucket: raw
        prefix: flights/
        suffix: .jpg
        events: [put, complete-multipart]
        delivery: webhook
        webhook: {{auth: {{bearer: s3cret-token}}}}
    workflowTemplate: drone-pipeline
"""


def config(tmp_path: Path, endpoint: str = "127.0.0.1:1") -> Path:
    path = tmp_path / "bridge.yaml"
    path.write_text(CONFIG.format(endpoint=endpoint))
    return path


def test_prints_the_environment_without_the_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["minio", "setup", "-c", str(config(tmp_path)), "--print-only"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines() == [
        "# MinIO server environment (set it, then restart MinIO):",
        "MINIO_API_SYNC_EVENTS=on",
        "MINIO_NOTIFY_WEBHOOK_ENABLE_DRONE_PHOTOS=on",
        "MINIO_NOTIFY_WEBHOOK_ENDPOINT_DRONE_PHOTOS=http://127.0.0.1:8080/hooks/minio/drone-photos",
        "MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_DRONE_PHOTOS=<redacted: the trigger's bearer token>",
        "MINIO_NOTIFY_WEBHOOK_QUEUE_DIR_DRONE_PHOTOS=/data/.trigger-bridge-queue/drone-photos",
    ]
    code = main(["minio", "setup", "-c", str(config(tmp_path)), "--print-only", "--show-secrets",
                 "--bridge-url", "http://bridge:8080/"])
    out = capsys.readouterr().out
    assert "MINIO_NOTIFY_WEBHOOK_AUTH_TOKEN_DRONE_PHOTOS=s3cret-token" in out
    assert "ENDPOINT_DRONE_PHOTOS=http://bridge:8080/hooks/minio/drone-photos" in out


class RecordingClient:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def set_bucket_notification(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


def test_attaches_the_notification_with_keyword_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    loaded = load_config(config(tmp_path), environ={})
    client = RecordingClient()
    args = argparse.Namespace(bridge_url=None, queue_dir="/q", show_secrets=False, print_only=False)
    assert setup(loaded, args, lambda: client) == 0  # type: ignore[arg-type, return-value]
    [call] = client.calls
    assert call["bucket_name"] == "raw"
    [queue] = call["config"].queue_config_list
    assert queue.queue == "arn:minio:sqs::DRONE_PHOTOS:webhook"
    assert queue.events == ["s3:ObjectCreated:Put", "s3:ObjectCreated:CompleteMultipartUpload"]
    assert queue.prefix_filter_rule.value == "flights/"
    assert queue.suffix_filter_rule.value == ".jpg"
    assert "attached: bucket raw -> arn:minio:sqs::DRONE_PHOTOS:webhook" in capsys.readouterr().out


def test_a_server_that_refuses_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = S3Server(binary=require_s3_server_binary()).start()
    try:
        server.client().make_bucket(bucket_name="raw")
        code = main(["minio", "setup", "-c", str(config(tmp_path, server.endpoint))])
    finally:
        server.close()
    err = capsys.readouterr().err
    assert code == 1
    assert "could not attach the notification to bucket 'raw'" in err
    assert "Traceback" not in err
