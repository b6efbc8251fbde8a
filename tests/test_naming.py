"""Workflow names: deterministic, DNS-1123, at most 63 characters, distinct per key."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bridge.naming import is_dns1123_label, is_label_value, workflow_name

labels = st.from_regex(re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"), fullmatch=True)


@given(labels, st.text(max_size=200))
def test_names_are_valid_and_stable(trigger: str, key: str) -> None:
    name = workflow_name(trigger, key)
    assert is_dns1123_label(name)
    assert len(name) <= 63
    assert name == workflow_name(trigger, key)


@given(labels, st.text(max_size=50), st.text(max_size=50))
def test_different_keys_give_different_names(trigger: str, a: str, b: str) -> None:
    if a != b:
        assert workflow_name(trigger, a) != workflow_name(trigger, b)


@given(labels.filter(lambda t: len(t) <= 46), st.text(max_size=20))
def test_short_trigger_names_are_kept_whole(trigger: str, key: str) -> None:
    assert workflow_name(trigger, key).startswith(trigger + "-")


def test_two_triggers_sharing_a_key_get_different_names() -> None:
    long_a = "a" * 60 + "x"
    long_b = "a" * 60 + "y"
    assert workflow_name(long_a, "k") != workflow_name(long_b, "k")


def test_known_value() -> None:
    # pinned so that a change of the hash (which would break idempotency across upgrades) shows
    assert (
        workflow_name("onboarding", "req-1") == "onboarding-2033fddf35c42aa6"
    )  # sha256("onboarding\\0req-1")[:16]


def test_label_values() -> None:
    assert is_label_value("")
    assert is_label_value("onboarding")
    assert is_label_value("01a241b3253c5d6a2730248b0f3a")
    assert not is_label_value("-x")
    assert not is_label_value("a" * 64)
