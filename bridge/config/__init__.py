"""The trigger file: its model, its value types, and loading with located errors.

Import `load_config` to read a file; the models are re-exported for the daemon and the generator.
"""

from __future__ import annotations

from bridge.config.load import LoadedConfig, load_config
from bridge.config.model import (
    ArgoSettings,
    BridgeConfig,
    HmacAuth,
    Parameter,
    RetrySettings,
    SubmitSettings,
    Trigger,
    WebhookAuth,
    WebhookSource,
)

__all__ = [
    "ArgoSettings",
    "BridgeConfig",
    "HmacAuth",
    "LoadedConfig",
    "Parameter",
    "RetrySettings",
    "SubmitSettings",
    "Trigger",
    "WebhookAuth",
    "WebhookSource",
    "load_config",
]
