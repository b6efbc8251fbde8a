"""Shared builders for tests: trigger files, configs, events."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from bridge.config.load import LoadedConfig, load_config
from bridge.config.model import Trigger
from bridge.events import Event
from bridge.testing import FakeClock

ONBOARDING = """
argo:
  server: {server}
  namespace: argo
  token: test-token
  readTimeout: {read_timeout}
http:
  listen: 127.0.0.1:{port}
state:
  path: {state}
submit:
  retry:
    initialDelay: 50ms
    maxDelay: 200ms
triggers:
  - name: onboarding
    on:
      webhook:
        path: /hooks/onboarding
        auth:
          bearer: hook-token
        dedupKey: header.X-Request-Id.0
    workflowTemplate: onboard-employee
    parameters:
      - name: email
        from: body.employee.email
      - name: source
        value: hr-portal
  - name: github
    on:
      webhook:
        path: /hooks/github
        auth:
          hmac:
            secret: gh-secret
    workflowTemplate: onboard-employee
    parameters:
      - name: email
        from: body.pusher.email
  - name: open
    on:
      webhook:
        path: /hooks/open
        auth: none
    workflowTemplate: onboard-employee
    parameters:
      - name: email
        from: body.email
        default: nobody@example.org
"""


def write_config(
    directory: Path,
    server: str = "",
    port: int = 0,
    read_timeout: str = "5s",
    text: str = ONBOARDING,
) -> Path:
    """Write the test trigger file into `directory` and return its path."""
    path = directory / "bridge.yaml"
    path.write_text(
        textwrap.dedent(text).format(
            server=server, port=port, state=directory / "state.db", read_timeout=read_timeout
        )
    )
    return path


def loaded(directory: Path, **kwargs: Any) -> LoadedConfig:
    """Write and load the test trigger file."""
    return load_config(write_config(directory, **kwargs), environ={})


def event(trigger: Trigger, data: dict[str, Any], clock: FakeClock | None = None) -> Event:
    """Build an event for `trigger` with a fixed id derived from the data."""
    moment = (clock or FakeClock()).now()
    return Event(f"ev{abs(hash(repr(data))):x}"[:28], "webhook", trigger.name, moment, data)
