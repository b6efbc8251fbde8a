"""The HTTP side of the daemon: webhook endpoints and health checks (`app.create_app`)."""

from __future__ import annotations

from bridge.web.app import create_app

__all__ = ["create_app"]
