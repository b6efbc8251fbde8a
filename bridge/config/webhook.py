"""The webhook source's settings: the path, the method, and how a request proves who sent it.

Authentication is required: a bearer token, an HMAC signature of the body (GitHub style), or
``none`` written out. Empty secrets are refused, since an unset variable must not open a hook.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from bridge.config.types import PathText

__all__ = ["HmacAuth", "WebhookAuth", "WebhookSource", "check_hook_path"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def check_hook_path(value: str | None) -> str | None:
    """Refuse what is not a URL path, and the bridge's own endpoints."""
    if value is None:
        return value
    if not value.startswith("/") or any(c in value for c in "?# "):
        raise ValueError(f"{value!r} is not a URL path; write e.g. /hooks/onboarding")
    if value in ("/healthz", "/readyz", "/metrics"):
        raise ValueError(f"{value} is the bridge's own endpoint; choose another path")
    return value


def _not_empty(value: SecretStr | None) -> SecretStr | None:
    if value is not None and not value.get_secret_value().strip():
        raise ValueError("the secret is empty (is its environment variable set to nothing?)")
    return value


class HmacAuth(_Model):
    """A signature of the raw body, as GitHub sends it (``X-Hub-Signature-256: sha256=<hex>``)."""

    secret: SecretStr
    _check_secret = field_validator("secret")(_not_empty)
    header: str = "X-Hub-Signature-256"
    prefix: str = "sha256="
    algorithm: Literal["sha1", "sha256", "sha512"] = "sha256"


class WebhookAuth(_Model):
    """Exactly one of: a bearer token, an HMAC signature, or ``none`` written out."""

    bearer: SecretStr | None = None
    hmac: HmacAuth | None = None
    none: bool = False
    _check_bearer = field_validator("bearer")(_not_empty)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if value == "none":
            return {"none": True}
        if isinstance(value, str):
            raise ValueError(
                f"auth {value!r} is not understood; write `none`, `bearer: <token>` or "
                "`hmac: {secret: <secret>}`"
            )
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> WebhookAuth:
        chosen = [self.bearer is not None, self.hmac is not None, self.none]
        if sum(chosen) != 1:
            raise ValueError("choose exactly one of `bearer`, `hmac` or `none`")
        return self


class WebhookSource(_Model):
    """An HTTP endpoint of the bridge that starts this trigger."""

    path: str
    method: Literal["POST", "PUT"] = "POST"
    auth: WebhookAuth = Field(
        description="required: authentication is on unless the file says `auth: none`"
    )
    dedup_key: PathText | None = Field(None, alias="dedupKey")
    max_body_bytes: int | None = Field(None, alias="maxBodyBytes", gt=0)

    _check_path = field_validator("path")(check_hook_path)
