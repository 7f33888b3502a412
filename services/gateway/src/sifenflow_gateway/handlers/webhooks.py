"""Webhook subscriptions of a tenant: create (secret shown once), list, delete, delivery log,
replay of one delivery or of all since a time. See docs/webhooks.md."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from sifenflow_common.webhooks.types import WEBHOOK_EVENT_TYPES
from sifenflow_common.webhooks.urls import UrlRefused, check_url
from sifenflow_gateway.auth import tenant_principal
from sifenflow_gateway.errors import ApiError, json_response
from sifenflow_gateway.lifecycle import lifecycle
from sifenflow_gateway.requests import read_json
from sifenflow_gateway.times import local_dates

MAX_URL_LENGTH = 2000
MAX_LOG = 500


def _uuid(request: web.Request, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info[name])
    except ValueError as exc:
        raise ApiError(400, "ID_INVALIDO", f"{name} debe ser un UUID", path=f"path.{name}") from exc


def _time(value: Any, path: str) -> datetime:
    if not isinstance(value, str):
        raise ApiError(400, "FECHA_INVALIDA", "Se espera una fecha ISO 8601 con zona horaria", path=path)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(400, "FECHA_INVALIDA", "Fecha ISO 8601 inválida", path=path) from exc
    if parsed.tzinfo is None:
        raise ApiError(400, "FECHA_INVALIDA", "La fecha debe incluir la zona horaria", path=path)
    return parsed


def _not_found() -> ApiError:
    return ApiError(404, "WEBHOOK_NO_ENCONTRADO", "Webhook no encontrado", path="path.webhook_id")


def _event_types(body: dict[str, Any]) -> list[str]:
    raw = body.get("eventos", body.get("events"))
    if raw is None:
        return list(WEBHOOK_EVENT_TYPES)
    if not isinstance(raw, list) or not raw or not all(isinstance(e, str) for e in raw):
        raise ApiError(
            400, "EVENTOS_INVALIDOS", "eventos debe ser una lista no vacía de textos", path="eventos"
        )
    for i, name in enumerate(raw):
        if name not in WEBHOOK_EVENT_TYPES:
            raise ApiError(
                400,
                "EVENTO_DESCONOCIDO",
                f"Evento desconocido '{name}'; válidos: {', '.join(WEBHOOK_EVENT_TYPES)}",
                path=f"eventos[{i}]",
            )
    return sorted(set(raw), key=WEBHOOK_EVENT_TYPES.index)


async def create(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    deps = lifecycle(request)
    body, _ = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_INVALIDO", "Se espera un objeto JSON", path="$")
    url = body.get("url")
    if not isinstance(url, str) or not url.strip() or len(url) > MAX_URL_LENGTH:
        raise ApiError(400, "WEBHOOK_URL_INVALIDA", "url es obligatoria (máximo 2000 caracteres)", path="url")
    try:
        await check_url(url.strip(), allow_private=deps.webhook_settings.allow_private_urls)
    except UrlRefused as exc:
        raise ApiError(400, exc.code, exc.message, path="url") from exc
    except ValueError as exc:  # what urllib cannot even split ("http://[::1", a port beyond 65535)
        raise ApiError(400, "WEBHOOK_URL_INVALIDA", "url no es una URL válida", path="url") from exc
    description = body.get("descripcion", body.get("description"))
    if description is not None and (not isinstance(description, str) or len(description) > 200):
        raise ApiError(
            400, "DESCRIPCION_INVALIDA", "descripcion: texto de hasta 200 caracteres", path="descripcion"
        )
    subscription, secret = await deps.webhooks.create(
        principal.tenant.id, url.strip(), _event_types(body), description
    )
    result = local_dates(subscription.public_view()) | {"secret": secret}
    return json_response({"success": True, "result": result}, status=201)


async def list_all(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    subscriptions = await lifecycle(request).webhooks.list_active(principal.tenant.id)
    return json_response({"success": True, "result": [local_dates(s.public_view()) for s in subscriptions]})


async def delete(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    if not await lifecycle(request).webhooks.delete(principal.tenant.id, _uuid(request, "webhook_id")):
        raise _not_found()
    return json_response({"success": True})


async def deliveries(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    repo = lifecycle(request).webhooks
    webhook_id = _uuid(request, "webhook_id")
    if await repo.get(principal.tenant.id, webhook_id) is None:
        raise _not_found()
    try:
        limit = int(request.query.get("limit", "100"))
    except ValueError as exc:
        raise ApiError(400, "PARAMETRO_INVALIDO", "limit debe ser un entero", path="query.limit") from exc
    if not 1 <= limit <= MAX_LOG:
        raise ApiError(400, "PARAMETRO_INVALIDO", f"limit entre 1 y {MAX_LOG}", path="query.limit")
    before = _time(request.query["before"], "query.before") if "before" in request.query else None
    records = await repo.deliveries(principal.tenant.id, webhook_id, limit=limit, before=before)
    return json_response({"success": True, "result": [local_dates(r.public_view()) for r in records]})


async def replay_one(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    repo = lifecycle(request).webhooks
    webhook_id, delivery_id = _uuid(request, "webhook_id"), _uuid(request, "delivery_id")
    record = await repo.delivery(principal.tenant.id, delivery_id)
    if record is None or record.subscription_id != webhook_id:
        raise ApiError(404, "ENTREGA_NO_ENCONTRADA", "Entrega no encontrada", path="path.delivery_id")
    if record.status == "pending":
        raise ApiError(409, "ENTREGA_EN_CURSO", "La entrega todavía está pendiente de envío")
    count = await repo.replay(principal.tenant.id, webhook_id, delivery_id=delivery_id)
    if count == 0:
        raise _not_found()
    return json_response({"success": True, "result": {"reenviadas": count}}, status=202)


async def replay_since(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    repo = lifecycle(request).webhooks
    webhook_id = _uuid(request, "webhook_id")
    if await repo.get(principal.tenant.id, webhook_id) is None:
        raise _not_found()
    body, _ = await read_json(request)
    if not isinstance(body, dict) or ("desde" not in body and "since" not in body):
        raise ApiError(400, "DESDE_REQUERIDO", "Indique desde (fecha ISO 8601)", path="desde")
    since = _time(body.get("desde", body.get("since")), "desde")
    count = await repo.replay(principal.tenant.id, webhook_id, since=since)
    return json_response({"success": True, "result": {"reenviadas": count}}, status=202)
