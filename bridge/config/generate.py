"""The optional ``generate:`` section: what `trigger-bridge generate` needs beyond the triggers.

Where the generated Argo Events objects go (namespace, EventBus, the Sensor's service account,
the webhook port) and which Kubernetes Secrets hold the credentials. Secrets are referenced by
name and key, never copied, so the generated files can be committed::

    generate:
      namespace: argo-events                 # of the EventSources and Sensors
      serviceAccountName: operate-workflow-sa  # the Sensors' (needs create on workflows)
      eventBusName: default
      webhookPort: 12000                     # each webhook EventSource listens and serves here
      secrets:
        webhooks:                            # the bearer token of each webhook trigger
          name: "{trigger}-auth"             # {trigger} becomes the trigger's name
          key: token
          overrides:
            onboarding: {name: hr-portal-token, key: token}
        minio:                               # the MinIO credentials of every minio trigger
          name: minio-credentials
          accessKey: accesskey
          secretKey: secretkey

The daemon ignores this section. Like every setting outside ``triggers`` it can also come from
the environment (``BRIDGE_GENERATE__NAMESPACE``).
"""

from __future__ import annotations

import re
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bridge.config.types import DNSLabel

__all__ = [
    "TRIGGER_PLACEHOLDER",
    "GenerateSecrets",
    "GenerateSettings",
    "MinioSecrets",
    "SecretRef",
    "WebhookSecrets",
]

TRIGGER_PLACEHOLDER: Final = "{trigger}"
_SUBDOMAIN: Final = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_SECRET_KEY: Final = re.compile(r"[-._a-zA-Z0-9]+")


def _secret_name(value: Any) -> str:
    text = str(value)
    sample = text.replace(TRIGGER_PLACEHOLDER, "t")
    if len(sample) > 253 or not _SUBDOMAIN.fullmatch(sample):
        raise ValueError(
            f"{value!r} is not a Secret name: lowercase letters, digits, '-' and '.', e.g. "
            "minio-credentials (a webhook name may contain {trigger})"
        )
    return text


def _secret_key(value: Any) -> str:
    text = str(value)
    if len(text) > 253 or not _SECRET_KEY.fullmatch(text):
        raise ValueError(f"{value!r} is not a key of a Secret: letters, digits, '-', '_', '.'")
    return text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SecretRef(_Model):
    """One key of one Secret: what a SecretKeySelector names."""

    name: str
    key: str = "token"

    _check_name = field_validator("name")(_secret_name)
    _check_key = field_validator("key")(_secret_key)

    def selector(self) -> dict[str, str]:
        """Return the Kubernetes SecretKeySelector ``{name, key}``."""
        return {"name": self.name, "key": self.key}


class WebhookSecrets(_Model):
    """The Secret holding each webhook trigger's bearer token: a name pattern, or per trigger."""

    name: str = "{trigger}-auth"
    key: str = "token"
    overrides: dict[str, SecretRef] = {}

    _check_name = field_validator("name")(_secret_name)
    _check_key = field_validator("key")(_secret_key)

    def for_trigger(self, trigger: str) -> SecretRef:
        """Return the Secret of `trigger`: its override, else the pattern filled in."""
        override = self.overrides.get(trigger)
        if override is not None:
            return override
        return SecretRef(name=self.name.replace(TRIGGER_PLACEHOLDER, trigger), key=self.key)


class MinioSecrets(_Model):
    """The Secret holding the MinIO access and secret keys, shared by every minio trigger."""

    name: str = "minio-credentials"
    access_key: str = Field("accesskey", alias="accessKey")
    secret_key: str = Field("secretkey", alias="secretKey")

    _check_name = field_validator("name")(_secret_name)
    _check_keys = field_validator("access_key", "secret_key")(_secret_key)

    def access(self) -> SecretRef:
        """Return the selector of the access key."""
        return SecretRef(name=self.name, key=self.access_key)

    def secret(self) -> SecretRef:
        """Return the selector of the secret key."""
        return SecretRef(name=self.name, key=self.secret_key)


class GenerateSecrets(_Model):
    """Which Secrets the generated objects reference."""

    webhooks: WebhookSecrets = WebhookSecrets()
    minio: MinioSecrets = MinioSecrets()


class GenerateSettings(_Model):
    """Settings of the Argo Events manifest generator (``trigger-bridge generate``)."""

    namespace: DNSLabel = "argo-events"
    service_account_name: DNSLabel = Field("operate-workflow-sa", alias="serviceAccountName")
    event_bus_name: DNSLabel = Field("default", alias="eventBusName")
    webhook_port: int = Field(12000, alias="webhookPort", ge=1, le=65535)
    secrets: GenerateSecrets = GenerateSecrets()
