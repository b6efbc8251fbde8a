"""The MinIO source's settings: the server to reach, and per trigger the bucket to watch.

Uploads arrive by MinIO's listen stream (``delivery: listen``) or its webhook target
(``delivery: webhook``), and a periodic catch-up listing finds what either missed. Event names
are the four creation events, written short (``put``, ``post``, ``copy``,
``complete-multipart``) or in full; ``s3:ObjectCreated:*`` is refused because MinIO expands it to
tagging, retention and legal-hold changes, which would start workflows for objects that did not
change.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from bridge.config.types import Duration
from bridge.config.webhook import WebhookAuth, check_hook_path

__all__ = ["EVENT_NAMES", "MinioSettings", "MinioSource", "MinioWebhook"]

EVENT_NAMES: Final = {
    "put": "s3:ObjectCreated:Put",
    "post": "s3:ObjectCreated:Post",
    "copy": "s3:ObjectCreated:Copy",
    "complete-multipart": "s3:ObjectCreated:CompleteMultipartUpload",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MinioSettings(_Model):
    """How to reach the MinIO (or other S3) server, for listening and catch-up listing."""

    endpoint: str
    access_key: SecretStr = Field(alias="accessKey")
    secret_key: SecretStr = Field(alias="secretKey")
    secure: bool = True
    region: str | None = None

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        if "://" in value or "/" in value or not value:
            raise ValueError(f"{value!r}: write HOST:PORT without a scheme, e.g. minio:9000")
        return value


class MinioWebhook(_Model):
    """Where MinIO's webhook target posts (default ``/hooks/minio/<trigger>``), and its token."""

    path: str | None = None
    auth: WebhookAuth = Field(description="bearer: <token> (what MinIO sends), or none")
    max_body_bytes: int | None = Field(None, alias="maxBodyBytes", gt=0)

    _check_path = field_validator("path")(check_hook_path)


class MinioSource(_Model):
    """Start the trigger for each new object (version) in a bucket, once."""

    bucket: str
    prefix: str = ""
    suffix: str = ""
    events: tuple[str, ...] = tuple(EVENT_NAMES.values())
    delivery: Literal["listen", "webhook"] = "listen"
    webhook: MinioWebhook | None = None
    key_encoding: Literal["auto", "url", "plain"] = Field("auto", alias="keyEncoding")
    catchup: Literal["new", "all", "none"] = "new"
    catchup_interval: Duration = Field(timedelta(minutes=5), alias="catchupInterval")

    @field_validator("events")
    @classmethod
    def _events(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        out = []
        for name in value:
            if name in EVENT_NAMES:
                out.append(EVENT_NAMES[name])
            elif name in EVENT_NAMES.values():
                out.append(name)
            elif name.endswith("*"):
                raise ValueError(
                    f"{name!r} also fires on tagging and retention changes; list the creation "
                    "events instead: put, post, copy, complete-multipart"
                )
            else:
                raise ValueError(
                    f"unknown event {name!r}; use put, post, copy or complete-multipart"
                )
        if not out:
            raise ValueError("name at least one event: put, post, copy, complete-multipart")
        return tuple(dict.fromkeys(out))

    @model_validator(mode="after")
    def _delivery(self) -> MinioSource:
        if self.delivery == "webhook" and self.webhook is None:
            raise ValueError(
                "delivery: webhook needs `webhook: {auth: {bearer: <token>}}` (what MinIO sends)"
            )
        if self.delivery == "listen" and self.webhook is not None:
            raise ValueError("`webhook:` settings only apply to delivery: webhook")
        return self
