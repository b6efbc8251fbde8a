"""The webhook source's checks, without HTTP plumbing: authentication and body decoding.

Authentication is constant-time and says nothing about why it failed. A bearer token is compared
with the whole ``Authorization`` header value; an HMAC signature is computed over the raw body
and compared with the configured header (GitHub's ``X-Hub-Signature-256: sha256=<hex>`` by
default). Bodies are decoded as Argo Events does: JSON, or a form as a map of value lists; a
"form" whose body is a JSON document (``curl -d '{...}'`` without a content type) is read as JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from bridge.config.model import WebhookAuth

__all__ = ["BadBodyError", "authenticate", "decode_body"]


class BadBodyError(ValueError):
    """The body cannot be decoded; the message says why, for the sender."""


def authenticate(auth: WebhookAuth, headers: Mapping[str, str], body: bytes) -> bool:
    """Tell whether the request carries the configured credential.

    Args:
        auth: the trigger's auth settings.
        headers: request headers, looked up case-insensitively by the caller's mapping.
        body: the raw request body (HMAC signs it byte for byte).
    """
    if auth.none:
        return True
    if auth.bearer is not None:
        expected = b"Bearer " + auth.bearer.get_secret_value().encode()
        given = headers.get("authorization", "").encode()
        return hmac.compare_digest(given, expected)
    assert auth.hmac is not None  # the model guarantees exactly one
    signature = headers.get(auth.hmac.header.lower(), "")
    key = auth.hmac.secret.get_secret_value().encode()
    digest = hmac.new(key, body, getattr(hashlib, auth.hmac.algorithm)).hexdigest()
    expected = (auth.hmac.prefix + digest).encode()
    return hmac.compare_digest(signature.strip().lower().encode(), expected.lower())


def decode_body(content_type: str, body: bytes) -> Any:
    """Decode a request body: JSON by default, forms as ``{field: [values]}``.

    Raises:
        BadBodyError: the body is not what its content type says.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded" and not body.lstrip().startswith((b"{", b"[")):
        try:
            return parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise BadBodyError("the form body is not UTF-8 text") from None
    if not body.strip():
        raise BadBodyError("the body is empty; send a JSON document")
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise BadBodyError("the body is not UTF-8 text; send a JSON document") from None
    except json.JSONDecodeError as exc:
        raise BadBodyError(
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
