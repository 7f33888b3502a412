"""Reading request bodies and flags; every parsing failure is an ApiError with a path."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

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
    if not raw.strip():
        raise ApiError(400, "JSON_INVALIDO", "El cuerpo de la solicitud está vacío", path="$")
    try:
        return json.loads(raw)
    except UnicodeDecodeError as exc:
        raise ApiError(400, "JSON_INVALIDO", "El cuerpo debe estar en UTF-8", path="$") from exc
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            "JSON_INVALIDO",
            f"JSON mal formado: {exc.msg} (línea {exc.lineno}, columna {exc.colno})",
            path="$",
        ) from exc


async def read_json(request: web.Request) -> tuple[Any, bytes]:
    raw = await read_bytes(request, request.app[SETTINGS].max_body_bytes)
    return parse_json(raw), raw


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
