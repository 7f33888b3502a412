"""The strict JSON reader every client body goes through (sifenflow_common.jsonin)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sifenflow_common import jsonin

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b'{"a": 1e400}',
        b'{"a": -1e400}',
        b'{"a": 1e300}',
        b'{"a": 1.5e40}',  # 41 integer digits once stored
        b'{"a": ' + b"9" * 41 + b"}",
        b'{"a": ' + b"9" * 5000 + b"}",
        b'{"a": 1.' + b"5" * 200 + b"}",
        b"[" * 65 + b"]" * 65,
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        b"[" * 100_000,
        b'{"a": "\xff"}',
        b"\xef\xbb\xbf{}",
        b"",
        b"   ",
        b"{not json",
    ],
)
def test_refused_texts_raise_json_input_error(raw: bytes) -> None:
    with pytest.raises(jsonin.JsonInputError):
        jsonin.loads(raw)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b'{"a": {"b": ["x", "y\\u0000"]}}', "$.a.b[1]"),
        (b'{"a": {"k\\u0000": 1}}', "$.a"),
        (b'{"email": "\\ud800"}', "$.email"),
        (b'["\\udfff"]', "$[0]"),
    ],
)
def test_unstorable_text_is_refused_with_its_path(raw: bytes, path: str) -> None:
    with pytest.raises(jsonin.JsonInputError) as caught:
        jsonin.loads(raw)
    assert caught.value.path == path


def test_depth_limit_is_inclusive_and_brackets_in_strings_do_not_count() -> None:
    assert jsonin.loads("[" * jsonin.MAX_DEPTH + "]" * jsonin.MAX_DEPTH) is not None
    text = '{"a": "' + "[" * 500 + '", "b": "\\"{{{{"}'
    assert jsonin.loads(text)["a"] == "[" * 500


def test_valid_documents_parse_as_json_does() -> None:
    raw = '{"n": 12, "f": 0.1, "big": ' + "9" * 40 + ', "s": "ñandú \\ud83d\\ude00", "l": [true, null]}'
    value = jsonin.loads(raw.encode())
    assert value == {"n": 12, "f": 0.1, "big": int("9" * 40), "s": "ñandú 😀", "l": [True, None]}
    assert isinstance(value["f"], float)


def test_decimals_keep_exact_amounts() -> None:
    assert jsonin.loads(b'{"m": 0.1}', decimals=True) == {"m": Decimal("0.1")}
    with pytest.raises(jsonin.JsonInputError):
        jsonin.loads(b'{"m": 1e999}', decimals=True)


def test_error_messages_are_spanish_and_name_the_rule() -> None:
    with pytest.raises(jsonin.JsonInputError) as caught:
        jsonin.loads(b'{"a": NaN}')
    assert "NaN" in caught.value.message and caught.value.path == "$.a"


@settings(derandomize=True, database=None, max_examples=500)
@given(
    st.floats(allow_nan=False, allow_infinity=False)
    | st.decimals(allow_nan=False, allow_infinity=False, places=None)
)
def test_a_number_reads_the_same_after_a_second_trip(number: float | Decimal) -> None:
    """What the gateway stores (json.dumps of what it read) reads back as the same value and text;
    tests/integration/hostile checks the same against PostgreSQL's jsonb itself."""
    text = str(number) if isinstance(number, Decimal) else repr(number)
    try:
        first = jsonin.loads(text)
    except jsonin.JsonInputError:
        return  # refused (beyond float range, > 40 integer digits, too long): nothing stored
    again = jsonin.loads(json.dumps(first))
    assert type(again) is type(first) and again == first and str(again) == str(first)


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b'{"a": {"b": [1, NaN]}}', "$.a.b[1]"),
        (b'{"items": [1, 2, {"codigo": 1e999}]}', "$.items[2].codigo"),
        (b'{"x": 1, "y": ' + b"9" * 50 + b"}", "$.y"),
        (b'{"x": -Infinity}', "$.x"),
        (b"1e999", "$"),
    ],
)
def test_a_refused_number_is_reported_at_its_path(raw: bytes, path: str) -> None:
    with pytest.raises(jsonin.JsonInputError) as caught:
        jsonin.loads(raw)
    assert caught.value.path == path


@pytest.mark.parametrize("key", ["\\u0000", "\\ud800"])
def test_a_path_through_an_unstorable_key_is_storable_itself(key: str) -> None:
    with pytest.raises(jsonin.JsonInputError) as caught:
        jsonin.loads('{"k' + key + '": NaN}')
    assert jsonin.storable_text(caught.value.path) and caught.value.path.startswith("$.k")
