"""What a FacturaSend client does with our answers: HTTP calls on the live stack, and a shape check
that reads key names, JSON types and nesting (not values) the way a typed client parses them."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from sifenflow_common.sifen.paraguay_time import PARAGUAY_TZ
from tests.e2e.pipeline.stack import Stack, bearer

EXAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "facturasend_examples"
# ../shared next to the repository (CI and the maintainers' machines); a user's clone has none
SHARED_SEED = Path(__file__).resolve().parents[3].parent / "shared" / "docs" / "seed-examples"
PY_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")  # whole seconds + offset
CDC = re.compile(r"^\d{44}$")
NUMERO = re.compile(r"^\d{3}-\d{3}-\d{7}$")


def now_py() -> str:
    """Now in Paraguay, as FacturaSend's ``fecha`` (``yyyy-MM-ddTHH:mm:ss``, inside SIFEN's window)."""
    local = datetime.now(UTC).astimezone(PARAGUAY_TZ) - timedelta(minutes=1)
    return local.strftime("%Y-%m-%dT%H:%M:%S")


def example(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))


async def call(
    session: aiohttp.ClientSession,
    stack: Stack,
    method: str,
    path: str,
    body: Any = None,
    *,
    auth: bool = True,
) -> tuple[int, Any]:
    tenant = stack.tenants["demo"]
    headers = bearer(tenant) if auth else {}
    url = stack.url + path.replace("{t}", tenant.slug)
    async with session.request(method, url, json=body, headers=headers) as response:
        text = await response.text()
        if response.content_type == "application/json":
            return response.status, json.loads(text)
        return response.status, text


def conforms(value: Any, shape: Any, path: str = "$") -> list[str]:
    """Where ``value`` does not parse as ``shape``: a type (or tuple of types), a compiled regex (a
    string matching it), a dict (these keys at least, each conforming), or a one-element list (a
    non-empty list whose every element conforms)."""
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f"{path}: objeto esperado, llegó {type(value).__name__}"]
        problems: list[str] = []
        for key, sub in shape.items():
            if key not in value:
                problems.append(f"{path}.{key}: falta")
            else:
                problems += conforms(value[key], sub, f"{path}.{key}")
        return problems
    if isinstance(shape, list):
        if not isinstance(value, list) or not value:
            return [f"{path}: lista no vacía esperada"]
        return [p for n, item in enumerate(value) for p in conforms(item, shape[0], f"{path}[{n}]")]
    if isinstance(shape, re.Pattern):
        if not isinstance(value, str) or not shape.match(value):
            return [f"{path}: {value!r} no coincide con {shape.pattern}"]
        return []
    if shape is float:  # a JSON number: int or float, never bool
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: número esperado, llegó {value!r}"]
    if shape is int and isinstance(value, bool):
        return [f"{path}: entero esperado, llegó {value!r}"]
    return [] if isinstance(value, shape) else [f"{path}: {shape} esperado, llegó {value!r}"]
