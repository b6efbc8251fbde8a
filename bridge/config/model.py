"""The trigger file as typed models: the contract between the user and both halves of the bridge.

Every model forbids unknown keys and uses the camelCase names of the file (``workflowTemplate``,
``verifyTLS``). The daemon and the generator read these same objects. Secrets are `SecretStr`,
so printing a config never shows them. The root is a pydantic-settings model, so any setting can
also come from the environment (``BRIDGE_ARGO__TOKEN``, ``BRIDGE_HTTP__LISTEN``); the
environment wins over the file.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bridge.config.generate import GenerateSettings
from bridge.config.minio import MinioSettings, MinioSource
from bridge.config.schedule import ScheduleSource
from bridge.config.types import (
    DNSLabel,
    Duration,
    ListenAddress,
    ParameterName,
    ParameterValue,
    PathText,
)
from bridge.config.webhook import HmacAuth, WebhookAuth, WebhookSource

MAX_SCHEDULE_NAME = 52
SOURCE_KINDS = ("webhook", "schedule", "minio")

__all__ = [
    "MAX_SCHEDULE_NAME",
    "ArgoSettings",
    "BridgeConfig",
    "HmacAuth",
    "HttpSettings",
    "MinioSettings",
    "MinioSource",
    "Parameter",
    "RetrySettings",
    "ScheduleSource",
    "StateSettings",
    "SubmitSettings",
    "Trigger",
    "TriggerSources",
    "WebhookAuth",
    "WebhookSource",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ArgoSettings(_Model):
    """Where and how to reach the Argo Server. No `server` means dry-run."""

    server: str | None = None
    namespace: DNSLabel = "argo"
    token: SecretStr | None = None
    verify_tls: bool = Field(True, alias="verifyTLS")
    ui_url: str | None = Field(None, alias="uiURL")
    connect_timeout: Duration = Field(timedelta(seconds=5), alias="connectTimeout")
    read_timeout: Duration = Field(timedelta(seconds=30), alias="readTimeout")

    @field_validator("token", mode="before")
    @classmethod
    def _token(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("server", "ui_url", mode="before")
    @classmethod
    def _url(cls, value: Any) -> str | None:
        if value in (None, ""):
            return None
        text = str(value).rstrip("/")
        if not text.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} needs a scheme: write https://{value}")
        return text

    @property
    def dry_run(self) -> bool:
        """True when no Argo Server is configured: render, journal and log, submit nothing."""
        return self.server is None


class HttpSettings(_Model):
    """The HTTP listener for webhooks and health checks."""

    listen: ListenAddress = "127.0.0.1:8080"
    max_body_bytes: int = Field(1024 * 1024, alias="maxBodyBytes", gt=0)


class StateSettings(_Model):
    """Where the journal lives. A relative path is relative to the trigger file."""

    path: Path = Path("bridge-state.db")


class RetrySettings(_Model):
    """Exponential backoff with jitter for retryable submit failures."""

    initial_delay: Duration = Field(timedelta(seconds=1), alias="initialDelay")
    max_delay: Duration = Field(timedelta(minutes=5), alias="maxDelay")
    factor: float = Field(2.0, ge=1.0)
    jitter: float = Field(0.2, ge=0.0, le=1.0)
    max_attempts: int = Field(
        0, alias="maxAttempts", ge=0
    )  # 0: keep trying; Argo may be down for long


class SubmitSettings(_Model):
    """How hard the bridge may press on the Argo Server."""

    concurrency: int = Field(4, ge=1, le=64)
    rate_per_second: float = Field(20.0, alias="ratePerSecond", gt=0)
    retry: RetrySettings = RetrySettings()


class TriggerSources(_Model):
    """What starts the trigger; exactly one source."""

    webhook: WebhookSource | None = None
    schedule: ScheduleSource | None = None
    minio: MinioSource | None = None

    @model_validator(mode="after")
    def _one(self) -> TriggerSources:
        chosen = [name for name in SOURCE_KINDS if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError(
                "name exactly one source that starts this trigger: `webhook:`, `schedule:` or "
                "`minio:`"
            )
        return self

    @property
    def kind(self) -> str:
        """The source kind: ``webhook``, ``schedule`` or ``minio``."""
        return next(name for name in SOURCE_KINDS if getattr(self, name) is not None)


class Parameter(_Model):
    """One workflow parameter: taken `from` the event (with an optional `default`) or a `value`."""

    name: ParameterName
    from_: PathText | None = Field(None, alias="from")
    value: ParameterValue | None = None
    default: ParameterValue | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Parameter:
        if (self.from_ is None) == (self.value is None):
            raise ValueError("give exactly one of `from` (a path into the event) or `value`")
        if self.default is not None and self.from_ is None:
            raise ValueError("`default` goes with `from`; with a fixed `value` it has no use")
        return self


class Trigger(_Model):
    """One trigger: a source, the WorkflowTemplate it starts, and the parameters it passes."""

    name: DNSLabel
    on: TriggerSources
    workflow_template: DNSLabel = Field(alias="workflowTemplate")
    parameters: tuple[Parameter, ...] = ()

    @property
    def route(self) -> tuple[str, str] | None:
        """The ``(path, method)`` this trigger is served at over HTTP, if any."""
        if self.on.webhook is not None:
            return self.on.webhook.path, self.on.webhook.method
        minio = self.on.minio
        if minio is not None and minio.webhook is not None:
            return minio.webhook.path or f"/hooks/minio/{self.name}", "POST"
        return None

    @model_validator(mode="after")
    def _schedule_name(self) -> Trigger:
        if self.on.schedule is not None and len(self.name) > MAX_SCHEDULE_NAME:
            raise ValueError(
                f"a schedule trigger's name has at most {MAX_SCHEDULE_NAME} characters, so that "
                "'<name>-<unix time>' fits Argo's 63 (as for a CronWorkflow)"
            )
        return self


class BridgeConfig(BaseSettings):
    """The whole trigger file, with environment overrides (prefix ``BRIDGE_``, ``__`` nests)."""

    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=True,
        env_prefix="BRIDGE_",
        env_nested_delimiter="__",
        case_sensitive=False,
    )

    argo: ArgoSettings = ArgoSettings()
    http: HttpSettings = HttpSettings()
    state: StateSettings = StateSettings()
    submit: SubmitSettings = SubmitSettings()
    minio: MinioSettings | None = None
    triggers: tuple[Trigger, ...] = ()
    generate: GenerateSettings = GenerateSettings()

    @model_validator(mode="after")
    def _minio_server(self) -> BridgeConfig:
        if self.minio is None and any(t.on.minio is not None for t in self.triggers):
            raise ValueError(
                "a trigger watches MinIO but the file has no top-level `minio:` "
                "(endpoint, accessKey, secretKey)"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Let the environment override the file (the file arrives as init arguments)."""
        return env_settings, init_settings

    def trigger(self, name: str) -> Trigger | None:
        """Return the trigger called `name`, if any."""
        return next((t for t in self.triggers if t.name == name), None)
