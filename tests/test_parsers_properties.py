"""Property tests for the small parsers: durations, ${VAR} expansion, YAML keys, bodies."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.config.types import parse_duration
from bridge.config.yamlfile import read_yaml
from bridge.sources.webhook import BadBodyError, decode_body

UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


@given(
    st.lists(
        st.tuples(st.integers(0, 10_000), st.sampled_from(list(UNITS))), min_size=1, max_size=4
    )
)
def test_duration_is_the_sum_of_its_parts(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{n}{unit}" for n, unit in parts)
    expected = sum(n * UNITS[unit] for n, unit in parts)
    assert parse_duration(text).total_seconds() == pytest.approx(expected)


@given(st.text(max_size=12))
def test_duration_rejects_or_returns_a_non_negative_delta(text: str) -> None:
    try:
        value = parse_duration(text)
    except ValueError as exc:
        reason = str(exc)
        assert "is not a duration" in reason
        return
    assert value >= timedelta(0)


names = st.from_regex(r"[A-Z_][A-Z0-9_]{0,10}", fullmatch=True)
values = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp"]),
    max_size=20,
)


@given(names, values, st.text(st.characters(whitelist_categories=["L", "N"]), max_size=5))
def test_variables_expand_inside_any_string(name: str, value: str, around: str) -> None:
    text = json.dumps({"k": f"{around}${{{name}}}{around}"}, ensure_ascii=False)  # JSON is YAML
    doc = read_yaml(text, "f.yaml", {name: value})
    assert doc.problems == []
    assert doc.data == {"k": f"{around}{value}{around}"}


@given(names, values)
def test_missing_variable_uses_fallback_or_is_reported(name: str, fallback: str) -> None:
    with_fallback = read_yaml(
        json.dumps({"k": f"${{{name}:-{fallback}}}"}, ensure_ascii=False), "f.yaml", {}
    )
    if "}" not in fallback:
        assert with_fallback.data == {"k": fallback}
    without = read_yaml(json.dumps({"k": f"${{{name}}}"}), "f.yaml", {})
    assert [p.line for p in without.unset] == [1]
    assert f"environment variable {name} is not set" in without.unset[0].message


@given(st.sampled_from(["on", "off", "yes", "no", "y", "n", "On", "NO"]))
def test_yaml_11_booleans_stay_strings(word: str) -> None:
    doc = read_yaml(f"{word}: {word}\n", "f.yaml", {})
    assert doc.data == {word: word}


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(json_values)
def test_any_json_body_decodes_to_itself(value: Any) -> None:
    assert decode_body("application/json", json.dumps(value).encode()) == value


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=5),
        st.lists(st.text(max_size=5), min_size=1, max_size=3),
        max_size=4,
    )
)
def test_forms_decode_to_value_lists(form: dict[str, list[str]]) -> None:
    body = urlencode([(k, v) for k, vs in form.items() for v in vs]).encode()
    if body.lstrip().startswith((b"{", b"[")):
        return  # read as JSON by design
    assert decode_body("application/x-www-form-urlencoded", body) == form


@given(st.binary(max_size=40))
def test_arbitrary_bytes_decode_or_give_a_reason(body: bytes) -> None:
    try:
        decode_body("application/json", body)
    except BadBodyError as exc:
        reason = str(exc)
        assert reason
