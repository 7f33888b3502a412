"""Admin API (master key): tenants and their API keys. Tokens are returned once, at creation."""

from __future__ import annotations

import uuid

from aiohttp import web

from sifenflow_common.tenants.input import parse_certificate_input, parse_tenant_input
from sifenflow_common.tenants.model import Role
from sifenflow_common.tenants.repository import RucTakenError, TenantExistsError, ruc_taken_message
from sifenflow_gateway.auth import require_master_key
from sifenflow_gateway.errors import ApiError, invalid, json_response
from sifenflow_gateway.handlers.company import company_view
from sifenflow_gateway.keys import DEPS
from sifenflow_gateway.requests import read_json
from sifenflow_gateway.times import local_dates

MAX_KEY_LABEL = 100  # documented in docs/gateway-api.md (limits)


async def create_tenant(request: web.Request) -> web.Response:
    require_master_key(request)
    body, _ = await read_json(request)
    data, issues = parse_tenant_input(body)
    if data is None:
        raise invalid(issues, limit=10)
    deps = request.app[DEPS]
    sim_error = None
    try:
        if deps.company is not None:  # simulado: test certificate, CSC and the simulator's registry
            tenant, sim_error = await deps.company.create(data, actor="master-key")
        else:
            tenant = await deps.directory.create_tenant(data)
    except TenantExistsError as exc:
        raise ApiError(
            409, "EMPRESA_YA_EXISTE", f"Ya existe una empresa con slug {data.slug}", path="slug"
        ) from exc
    except RucTakenError as exc:
        raise ApiError(409, "RUC_YA_REGISTRADO", ruc_taken_message(exc), path="params.ruc") from exc
    return json_response({"success": True, "result": company_view(tenant, sim_error)}, 201)


async def get_tenant(request: web.Request) -> web.Response:
    require_master_key(request)
    deps = request.app[DEPS]
    tenant = await deps.directory.get_tenant(request.match_info["tenant_id"])
    if tenant is None:
        raise ApiError(404, "EMPRESA_NO_ENCONTRADA", "Empresa no encontrada", path="path.id")
    keys = await deps.directory.list_keys(tenant.id)
    view = dict(local_dates(tenant.public_view()), apiKeys=[local_dates(k.public_view()) for k in keys])
    return json_response({"success": True, "result": view})


async def replace_certificate(request: web.Request) -> web.Response:
    require_master_key(request)
    deps = request.app[DEPS]
    tenant = await deps.directory.get_tenant(request.match_info["tenant_id"])
    if tenant is None:
        raise ApiError(404, "EMPRESA_NO_ENCONTRADA", "Empresa no encontrada", path="path.id")
    body, _ = await read_json(request)
    parsed, issues = parse_certificate_input(body, tenant.ruc)
    if parsed is None:
        raise invalid(issues)
    updated = await deps.directory.replace_certificate(tenant.id, *parsed)
    return json_response({"success": True, "result": local_dates(updated.public_view())})


async def create_api_key(request: web.Request) -> web.Response:
    require_master_key(request)
    deps = request.app[DEPS]
    tenant = await deps.directory.get_tenant(request.match_info["tenant_id"])
    if tenant is None:
        raise ApiError(404, "EMPRESA_NO_ENCONTRADA", "Empresa no encontrada", path="path.id")
    body, _ = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_INVALIDO", "Se esperaba un objeto JSON")
    try:
        role = Role(body.get("role", "emisor"))
    except ValueError as exc:
        raise ApiError(
            400, "ROL_INVALIDO", "role debe ser admin, emisor o contador (lectura)", path="role"
        ) from exc
    label = body.get("label", "")
    if not isinstance(label, str) or len(label) > MAX_KEY_LABEL or not label.isprintable():
        raise ApiError(
            400,
            "ETIQUETA_INVALIDA",
            f"label: texto imprimible de hasta {MAX_KEY_LABEL} caracteres",
            path="label",
        )
    record, token = await deps.directory.create_key(tenant.id, role, label)
    return json_response(
        {"success": True, "result": dict(local_dates(record.public_view()), token=token)}, 201
    )


async def revoke_api_key(request: web.Request) -> web.Response:
    require_master_key(request)
    try:
        key_id = uuid.UUID(request.match_info["key_id"])
    except ValueError as exc:
        raise ApiError(404, "CLAVE_NO_ENCONTRADA", "Clave no encontrada", path="path.id") from exc
    record = await request.app[DEPS].directory.revoke_key(key_id)
    if record is None:
        raise ApiError(404, "CLAVE_NO_ENCONTRADA", "Clave no encontrada", path="path.id")
    return json_response({"success": True, "result": local_dates(record.public_view())})
