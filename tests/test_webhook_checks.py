"""Webhook authentication and body decoding, without HTTP."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import SecretStr

from bridge.config.model import HmacAuth, WebhookAuth
from bridge.events import canonical_header, webhook_data
from bridge.sources.webhook import BadBodyError, authenticate, decode_body

BODY = b'{"ref":"refs/heads/main"}'


def test_bearer() -> None:
    auth = WebhookAuth(bearer=SecretStr("s3cret"))
    assert authenticate(auth, {"authorization": "Bearer s3cret"}, b"")
    assert not authenticate(auth, {"authorization": "Bearer s3cre"}, b"")
    assert not authenticate(auth, {"authorization": "s3cret"}, b"")
    assert not authenticate(auth, {}, b"")


def test_github_hmac_test_vector() -> None:
    # GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!"
    auth = WebhookAuth(hmac=HmacAuth(secret=SecretStr("It's a Secret to Everybody")))
    signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert authenticate(auth, {"x-hub-signature-256": signature}, b"Hello, World!")
    assert not authenticate(auth, {"x-hub-signature-256": signature}, b"Hello, World?")
    assert not authenticate(auth, {"x-hub-signature-256": signature[7:]}, b"Hello, World!")
    assert not authenticate(auth, {}, b"Hello, World!")


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
def test_hmac_with_other_header_prefix_and_algorithm(algorithm: str) -> None:
    auth = WebhookAuth(
        hmac=HmacAuth(secret=SecretStr("k"), header="X-Signature", prefix="", algorithm=algorithm)
    )
    digest = hmac.new(b"k", BODY, getattr(hashlib, algorithm)).hexdigest()
    assert authenticate(auth, {"x-signature": digest.upper()}, BODY)
    assert not authenticate(auth, {"x-signature": digest}, BODY + b" ")


def test_none() -> None:
    assert authenticate(WebhookAuth(none=True), {}, b"")


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json", b'{"a": 1}', {"a": 1}),
        ("", b"[1, 2]", [1, 2]),
        ("application/x-www-form-urlencoded", b"a=1&a=2&b=", {"a": ["1", "2"], "b": [""]}),
        ("application/x-www-form-urlencoded", b'{"a": 1}', {"a": 1}),  # curl -d '{...}'
        ("text/plain; charset=utf-8", b'"x"', "x"),
    ],
)
def test_decode(content_type: str, body: bytes, expected: object) -> None:
    assert decode_body(content_type, body) == expected


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"", "empty"), (b"{", "not valid JSON: Expecting property name"), (b"\xff", "not UTF-8")],
)
def test_decode_errors_say_why(body: bytes, reason: str) -> None:
    with pytest.raises(BadBodyError, match=reason):
        decode_body("application/json", body)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("x-github-delivery", "X-Github-Delivery"),
        ("X-GitHub-Delivery", "X-Github-Delivery"),
        ("content-type", "Content-Type"),
        ("x_weird", "X_weird"),
        ("bad header", "bad header"),  # not a token: Go leaves it alone
        ("", ""),
    ],
)
def test_canonical_header_matches_go(raw: str, canonical: str) -> None:
    assert canonical_header(raw) == canonical


def test_webhook_data_keeps_lists_and_drops_credentials() -> None:
    data = webhook_data(
        [
            ("x-request-id", "a"),
            ("X-Request-Id", "b"),
            ("authorization", "Bearer t"),
            ("cookie", "c"),
        ],
        {"k": 1},
    )
    assert data == {"header": {"X-Request-Id": ["a", "b"]}, "body": {"k": 1}}
