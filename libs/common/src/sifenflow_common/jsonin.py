"""The one JSON reader for everything a client sends (API bodies, bulk lines, CLI input files).

Stricter than ``json.loads`` where the rest of the pipeline would fail later, after acceptance:
PostgreSQL's jsonb and text cannot hold NaN, Infinity, numbers beyond float range nor the NUL
character (U+0000), and Python's parser recurses once per nesting level. So this reader refuses
them up front, each with the JSON path and a Spanish message (``JsonInputError``):

- ``NaN``, ``Infinity``, ``-Infinity`` and numbers whose float is not finite (``1e400``);
- integers of more than ``MAX_INTEGER_DIGITS`` digits, written so or as an exponent (``1e300``);
- nesting deeper than ``MAX_DEPTH`` (checked on the text before parsing, so no RecursionError);
- bytes that are not UTF-8, and NUL or lone surrogates in any string or key.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from decimal import Decimal
from typing import Any

MAX_DEPTH = 64
MAX_INTEGER_DIGITS = 40
MAX_NUMBER_CHARS = 100  # a number literal longer than this is no amount, code or quantity

_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_ASCII_NOT_BRACKETS = str.maketrans("", "", "".join(chr(c) for c in range(128) if chr(c) not in "[]{}"))
_INNERMOST = re.compile(r"\[\]|\{\}")
# NUL and surrogates can only reach a string through an escape (raw control characters are invalid
# JSON and raw surrogates are not UTF-8): without one of these escapes the value walk is skipped.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class JsonInputError(ValueError):
    """Why a JSON text was refused: ``path`` is ``$`` or a JSON path such as ``$.items[2].codigo``."""

    def __init__(self, message: str, path: str = "$") -> None:
        # keys become part of the path: one holding NUL or a surrogate must not reach a response
        # or a jsonb column through it
        path = path.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
        super().__init__(message, path)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        return f"{self.message} ({self.path})"


_BAD_TEXT = "El texto contiene un carácter no admitido (NUL o sustituto)"
_BAD_KEY = "Una clave contiene un carácter no admitido (NUL o sustituto)"


class _Refused(ValueError):
    pass


def _constant(name: str) -> Any:
    raise _Refused(f"{name} no es un número JSON válido")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused(f"Los enteros admiten como máximo {MAX_INTEGER_DIGITS} dígitos")
    return int(text)


def _finite(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"Los números admiten como máximo {MAX_NUMBER_CHARS} caracteres")
    if not math.isfinite(float(text)):
        raise _Refused("El número está fuera del rango admitido")
    return Decimal(text)


def _as_stored(value: Decimal) -> int | float:
    # jsonb keeps a number as numeric and writes it back in plain notation with the literal's scale
    # ("1e300" comes back as 1 and 300 zeros, "1.5e1" as 15); what the pipeline reads back after
    # storage must be what the gateway validated (a number in a text field is taken as its text).
    plain = format(value, "f")
    if "." not in plain:
        return _integer(plain)
    return float(plain) + 0.0  # numeric has no negative zero


def _float(text: str) -> int | float:
    """A JSON number with a fraction or exponent, as it will read after a trip through jsonb:
    an int when it has no fractional digits, else a float whose own text round-trips too."""
    value = _as_stored(_finite(text))
    if isinstance(value, float):  # its repr may use an exponent: one more trip is a fixed point
        value = _as_stored(Decimal(repr(value)))
    return value


def _decimal(text: str) -> Decimal:
    return _finite(text)


def _depth(text: str) -> int:
    """How deep the arrays and objects nest (at most ``MAX_DEPTH + 1``): strings out, then the
    innermost pairs removed once per level, each pass in C (no recursion, no per-character loop)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return 0  # cannot nest deeper than the number of openings: skip the scan
    # without a backslash no quote is escaped: the strings are every other piece between quotes
    outside = "".join(text.split('"')[::2]) if "\\" not in text else _STRINGS.sub("", text)
    brackets = outside.translate(_ASCII_NOT_BRACKETS)
    if brackets.strip("[]{}"):  # something beyond ASCII outside the strings (invalid JSON anyway)
        brackets = _NOT_BRACKETS.sub("", brackets)
    depth = 0
    while brackets and depth <= MAX_DEPTH:
        brackets, removed = _INNERMOST.subn("", brackets)
        if not removed:  # unbalanced: every opening left may nest (an upper bound is enough)
            return depth + brackets.count("[") + brackets.count("{")
        depth += 1
    return depth


class _Marked:
    """Stands for a refused number in the second parse that only looks for its path."""


def _refused_path(text: str, decimals: bool) -> str:
    """The JSON path of the first refused number (error path only: the text is parsed again with
    every refusal replaced by a marker, then walked)."""

    def checked(check: Any) -> Any:
        def parse(literal: str) -> Any:
            try:
                return check(literal)
            except _Refused:
                return _Marked()

        return parse

    number = _decimal if decimals else _float
    value = json.loads(
        text, parse_constant=lambda _: _Marked(), parse_int=checked(_integer), parse_float=checked(number)
    )
    queue: deque[tuple[Any, str]] = deque([(value, "$")])
    while queue:
        item, where = queue.popleft()
        if isinstance(item, _Marked):
            return where
        if isinstance(item, dict):
            queue.extend((child, f"{where}.{key}") for key, child in item.items())
        elif isinstance(item, list):
            queue.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
    return "$"


def _unstorable(value: Any, path: str) -> JsonInputError | None:
    """The first string or key PostgreSQL cannot store (NUL, lone surrogate), with its path."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if _bad_text(item):
                return JsonInputError(_BAD_TEXT, where)
        elif isinstance(item, dict):
            for key, child in item.items():
                if _bad_text(key):
                    return JsonInputError(
                        "Una clave contiene un carácter no admitido (NUL o sustituto)", where
                    )
                stack.append((child, f"{where}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(item))
    return None


def _bad_text(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def loads(raw: bytes | str, *, decimals: bool = False) -> Any:
    """Parse one JSON text under the rules above; raises ``JsonInputError``. Numbers with a fraction
    or exponent come as PostgreSQL's jsonb gives them back (``_float``), or as ``Decimal`` with
    ``decimals`` (offline tools that keep exact amounts and store nothing)."""
    if isinstance(raw, bytes | bytearray):
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JsonInputError("El cuerpo debe estar codificado en UTF-8") from exc
    else:
        text = raw
    if not text.strip():
        raise JsonInputError("El cuerpo de la solicitud está vacío")
    if _depth(text) > MAX_DEPTH:
        raise JsonInputError(f"El JSON supera la profundidad máxima de {MAX_DEPTH} niveles")
    try:
        number = _decimal if decimals else _float
        value = json.loads(text, parse_constant=_constant, parse_int=_integer, parse_float=number)
    except _Refused as exc:
        raise JsonInputError(str(exc), _refused_path(text, decimals)) from None
    except json.JSONDecodeError as exc:
        raise JsonInputError(
            f"JSON mal formado: {exc.msg} (línea {exc.lineno}, columna {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:  # int() limits; nesting the scan could not see
        raise JsonInputError(f"JSON inválido: {exc}") from None
    if isinstance(raw, str) or _SUSPECT_ESCAPE.search(text):
        bad = _unstorable(value, "$")
        if bad is not None:
            raise bad
    return value


def storable_text(value: str) -> bool:
    """Whether PostgreSQL's text can hold ``value`` (no NUL, no lone surrogate)."""
    return not _bad_text(value)
