"""Hypothesis strategies for hostile request bodies: valid documents (tests/fixtures/documents)
with some of their fields replaced by hostile values, texts no JSON encoder writes (NaN, 1e400,
integers of thousands of digits, deep nesting), other charsets, and raw bytes."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.fixtures.documents import FIXTURE_NAMES, HERE

# Placeholders replaced in the serialised text by what json.dumps cannot write.
RAW_TOKENS = {
    "\x01NAN": "NaN",
    "\x01INF": "Infinity",
    "\x01NINF": "-Infinity",
    "\x01E400": "1e400",
    "\x01BIGINT": "9" * 5000,
    "\x01INT41": "1" + "0" * 40,
    "\x01DEEP": "[" * 5000 + "]" * 5000,
    "\x01DEEP65": "{" + '"a":{' * 64 + "}" * 65,
}

HOSTILE_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    -(2**63) - 1,
    10**39,
    1e300,
    -1e300,
    1e-300,
    0.1,
    1.5,
    "",
    " ",
    "0",
    "x" * 256,
    "x" * 5000,
    "ñ" * 300,
    "\x00",
    "a\x00b",
    "\ud800",
    "\u2028\u0085",
    "\x07\x1b",
    "&amp; <![CDATA[x]]> &ent;",
    "<a>b</a>",
    "'; DROP TABLE documents; --",
    "😀" * 100,
    "\u202e" + "abc",
    "1e300",
    "NaN",
    "-0",
    "http://[::1",
    "https://example.com:99999/h",
    "//x",
    "00000000000000000000000000000000000000000000001",
    [],
    {},
    [1, 2],
    ["a"],
    {"a": 1},
    [[[[[[[[]]]]]]]],
    *RAW_TOKENS,
]


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=float))


def base_document(name: str) -> dict[str, Any]:
    """A fixture's ``data``, for the demo emisor: its number and date left to the gateway."""
    data = _plain(json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))["data"])
    for key in ("numero", "fecha"):
        data.pop(key, None)
    data["establecimiento"], data["punto"] = "001", "001"
    return dict(data)


DOCUMENT_NAMES = tuple(n for n in FIXTURE_NAMES if n != "recibo")
RECIBO = "recibo"


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _set(root: Any, path: tuple[Any, ...], value: Any) -> None:
    target = root
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def _delete(root: Any, path: tuple[Any, ...]) -> None:
    target = root
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with 0-3 of its fields replaced by hostile values, deleted, or given a new key."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(("replace", "replace", "replace", "delete", "add")))
        if action == "delete":
            _delete(doc, path)
        elif action == "add" and isinstance(doc, dict):
            key = draw(st.sampled_from(("razonSocial", "x\x00", "ñandú", "", "a" * 300, "__proto__")))
            doc[key] = copy.deepcopy(draw(st.sampled_from(HOSTILE_VALUES)))
        else:
            _set(doc, path, copy.deepcopy(draw(st.sampled_from(HOSTILE_VALUES))))
    return doc


def to_text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    for token, raw in RAW_TOKENS.items():
        text = text.replace(json.dumps(token, ensure_ascii=False), raw)
    return text


@dataclass(frozen=True)
class Body:
    data: bytes
    content_type: str


CHARSETS = ("latin-1", "utf-16", "cp1252", "shift_jis")


@st.composite
def encoded(draw: st.DrawFn, value: Any) -> Body:
    """Mostly UTF-8 JSON; sometimes declared (and encoded) in another charset."""
    text = to_text(value)
    if draw(st.integers(0, 9)) == 0:
        charset = draw(st.sampled_from(CHARSETS))
        return Body(text.encode(charset, errors="replace"), f"application/json; charset={charset}")
    return Body(text.encode("utf-8", errors="surrogatepass"), "application/json")


raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", errors="surrogatepass")),
    st.sampled_from([b"", b"null", b"[]", b"{}", b"[{}]", b'"x"', b"1e400", b"NaN", b"\xef\xbb\xbf{}"]),
).map(lambda b: Body(b, "application/json"))


def json_values() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40)
    )
    return st.recursive(
        scalars | st.sampled_from(HOSTILE_VALUES),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
        ),
        max_leaves=12,
    )
