"""Reading request bodies and flags; every parsing failure is an ApiError with a path."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from sifenflow_common import jsonin
from sifenflow_gateway.errors import ApiError
from sifenflow_gateway.keys import SETTINGS

IDEMPOTENCY_HEADER = "Idempotency-Key"


def too_large(limit: int) -> ApiError:
    return ApiError(
        413, "CUERPO_DEMASIADO_GRANDE", f"El cuerpo de la solicitud supera el máximo de {limit} bytes"
    )


async def read_bytes(request: web.Request, limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    try:
        return jsonin.loads(raw)
    except jsonin.JsonInputError as exc:
        raise ApiError(400, "JSON_INVALIDO", exc.message, path=exc.path) from None


def check_charset(request: web.Request) -> None:
    """Bodies are UTF-8 only: a Content-Type naming another charset is refused, not guessed at."""
    charset = request.charset
    if charset is not None and charset.strip().strip('"').lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise ApiError(
            415,
            "CHARSET_NO_SOPORTADO",
            "El cuerpo debe estar codificado en UTF-8 (Content-Type: application/json; charset=utf-8)",
            path="headers.Content-Type",
        )


async def read_json(request: web.Request) -> tuple[Any, bytes]:
    check_charset(request)
    raw = await read_bytes(request, request.app[SETTINGS].max_body_bytes)
    return parse_json(raw), raw


_ID = re.compile(r"[0-9]{1,19}")
MAX_ID = 2**63 - 1  # PostgreSQL bigint


def id_param(raw: str, name: str, path: str) -> int:
    """A numeric id from a path or query: ASCII digits within bigint, else a 400 (never a 500)."""
    if not _ID.fullmatch(raw) or int(raw) > MAX_ID:
        raise ApiError(400, "PARAMETRO_INVALIDO", f"{name} debe ser un entero entre 0 y {MAX_ID}", path=path)
    return int(raw)


def flag(request: web.Request, name: str) -> bool:
    value = request.query.get(name, "false").strip().lower()
    if value in ("true", "1", "si", "sí", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise ApiError(
        400, "PARAMETRO_INVALIDO", f"El parámetro {name} debe ser true o false", path=f"query.{name}"
    )


def idempotency_key(request: web.Request) -> str | None:
    value = request.headers.get(IDEMPOTENCY_HEADER)
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 200 or not value.isprintable():
        raise ApiError(
            400,
            "IDEMPOTENCY_KEY_INVALIDA",
            "Idempotency-Key debe tener entre 1 y 200 caracteres imprimibles",
            path="headers.Idempotency-Key",
        )
    return value
