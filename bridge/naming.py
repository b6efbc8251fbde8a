"""Deterministic names: the same trigger and dedup key always give the same workflow name.

Idempotent submission rests on this (ARCHITECTURE invariant 2): a replayed event asks the Argo
Server for a name that already exists and gets 409, which counts as done. Names follow Argo's
rules for Workflows: a DNS-1123 subdomain of at most 63 characters, here restricted to a single
label (``[a-z0-9]([-a-z0-9]*[a-z0-9])?``) so it is also a valid label value.
"""

from __future__ import annotations

import hashlib
import re
from typing import Final

__all__ = [
    "DNS1123_LABEL",
    "HASH_LENGTH",
    "MAX_NAME",
    "is_dns1123_label",
    "is_label_value",
    "run_key_hash",
    "workflow_name",
]

MAX_NAME: Final = 63
HASH_LENGTH: Final = 16  # 64 bits: a collision within one trigger needs ~4e9 events
DNS1123_LABEL: Final = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE: Final = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")


def is_dns1123_label(name: str) -> bool:
    """Tell whether `name` is a DNS-1123 label of at most 63 characters."""
    return len(name) <= MAX_NAME and DNS1123_LABEL.fullmatch(name) is not None


def is_label_value(value: str) -> bool:
    """Tell whether `value` is a valid Kubernetes label value."""
    return len(value) <= MAX_NAME and _LABEL_VALUE.fullmatch(value) is not None


def run_key_hash(trigger: str, key: str) -> str:
    """Return the short, stable hash that identifies one run of `trigger` for dedup key `key`.

    The trigger name is part of the hash input so that two triggers sharing a key space
    (the same header, the same object) still get distinct names after truncation.
    """
    digest = hashlib.sha256(f"{trigger}\x00{key}".encode()).hexdigest()
    return digest[:HASH_LENGTH]


def workflow_name(trigger: str, key: str) -> str:
    """Return ``<trigger>-<hash of key>``, cut to 63 characters, a valid DNS-1123 label.

    Args:
        trigger: the trigger's name (a DNS-1123 label, checked by the config model).
        key: the dedup key of the event, tick or batch.
    """
    suffix = run_key_hash(trigger, key)
    prefix = trigger[: MAX_NAME - len(suffix) - 1].rstrip("-")
    return f"{prefix}-{suffix}" if prefix else suffix
