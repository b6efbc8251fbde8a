"""Paths into event data: gjson semantics for the subset the bridge supports."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.errors import PathError
from bridge.paths import MISSING, DataPath, to_text

DATA = {
    "body": {"employee": {"email": "ada@example.org", "tags": ["a", "b"]}, "a.b": 1, "0": "zero"},
    "header": {"X-Request-Id": ["r1", "r2"]},
    "notification": [{"s3": {"object": {"key": "flights/1 2.jpg", "size": 10}}}],
    "nothing": None,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("body.employee.email", "ada@example.org"),
        ("header.X-Request-Id.0", "r1"),
        ("header.X-Request-Id.1", "r2"),
        ("header.X-Request-Id", ["r1", "r2"]),
        ("header.X-Request-Id.#", 2),
        ("notification.0.s3.object.key", "flights/1 2.jpg"),
        ("body.a\\.b", 1),
        ("body.0", "zero"),  # a number is a plain key in an object
        ("nothing", None),
        ("header.X-Request-Id.2", MISSING),
        ("header.X-Request-Id.-1", MISSING),
        ("body.employee.email.x", MISSING),
        ("body.absent", MISSING),
        ("header.x-request-id", MISSING),  # keys are case-sensitive, as in gjson
    ],
)
def test_lookup(path: str, expected: Any) -> None:
    assert DataPath.parse(path).get(DATA) == expected


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("", "empty"),
        ("a..b", "empty component"),
        (".a", "empty component"),
        ("a.", "empty component"),
        ("a\\", "lone"),
        ("body.*", "wildcards"),
        ("body.em?il", "wildcards"),
        ("body|@reverse", "wildcards"),
        ("items.#(name==x)", "wildcards"),
        ("@this", "wildcards"),
    ],
)
def test_bad_paths_are_refused_with_the_reason(path: str, reason: str) -> None:
    with pytest.raises(PathError, match=reason):
        DataPath.parse(path)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x", "x"),
        (True, "true"),
        (False, "false"),
        (None, ""),
        (42, "42"),
        (-7, "-7"),
        (2.5, "2.5"),
        (1e20, "100000000000000000000"),
        (1e-7, "0.0000001"),
        ({"a": [1, "b"]}, '{"a":[1,"b"]}'),
        (["é"], '["é"]'),
    ],
)
def test_to_text_renders_as_gjson_string(value: Any, text: str) -> None:
    assert to_text(value) == text


keys = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)


def _escape(key: str) -> str:
    return "".join("\\" + c if c in ".\\*?|@#" else c for c in key)


@given(st.lists(keys, min_size=1, max_size=6), st.integers())
def test_escaped_keys_always_find_their_value(path_keys: list[str], leaf: int) -> None:
    data: Any = leaf
    for key in reversed(path_keys):
        data = {key: data}
    path = DataPath.parse(".".join(_escape(k) for k in path_keys))
    assert path.parts == tuple(path_keys)
    assert path.get(data) == leaf


@given(st.lists(st.integers(), min_size=1, max_size=20), st.data())
def test_indexes_select_list_items(items: list[int], data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(items) + 2))
    expected = items[index] if index < len(items) else MISSING
    assert DataPath.parse(f"l.{index}").get({"l": items}) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(json_values)
def test_to_text_of_containers_is_json_that_reads_back(value: Any) -> None:
    text = to_text(value)
    if isinstance(value, list | dict):
        assert json.loads(text) == value


@given(st.text(max_size=40))
def test_parse_never_fails_with_anything_but_path_error(text: str) -> None:
    try:
        path = DataPath.parse(text)
    except PathError:
        return
    assert path.text == text
    assert all(path.parts)
