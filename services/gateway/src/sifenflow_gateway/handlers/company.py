"""Company self-service: edit (``PATCH``), history, go-live checklist and environment switch, both
for the operator (``/admin/tenants/{tenant_id}/…``, master key) and for the company's own ``admin``
API key (``/{tenant}/empresa/…``). Every change is an event in the company's stream."""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from sifenflow_common.sifen.paraguay_time import paraguay_local
from sifenflow_common.tenants.company import CompanyAdmin, PatchRefused, SwitchRefused
from sifenflow_common.tenants.model import Environment, Tenant
from sifenflow_gateway.actor import ACTOR
from sifenflow_gateway.auth import require_master_key, tenant_principal
from sifenflow_gateway.errors import ApiError, invalid, json_response
from sifenflow_gateway.keys import DEPS
from sifenflow_gateway.requests import read_json
from sifenflow_gateway.times import local_dates

MASTER_ACTOR = "master-key"
log = structlog.get_logger("sifenflow.gateway")


def company_admin(request: web.Request) -> CompanyAdmin:
    company = request.app[DEPS].company
    if company is None:
        raise ApiError(503, "SERVICIO_NO_DISPONIBLE", "La administración de empresas no está disponible")
    return company


async def _admin_target(request: web.Request) -> Tenant:
    require_master_key(request)
    tenant = await request.app[DEPS].directory.get_tenant(request.match_info["tenant_id"])
    if tenant is None:
        raise ApiError(404, "EMPRESA_NO_ENCONTRADA", "Empresa no encontrada", path="path.id")
    return tenant


async def _own_target(request: web.Request) -> tuple[Tenant, str]:
    principal = await tenant_principal(request)  # admin only: authz.py
    who = request[ACTOR]  # an API key or a signed-in user, as the audit log names them
    kind = "api-key" if who.kind == "key" else "user"
    actor = f"{kind}:{who.id}" + (f" ({who.label})" if who.label else "")
    return principal.tenant, actor


def company_view(tenant: Tenant, simulator_error: str | None = None) -> dict[str, Any]:
    """The company without secrets; with ``simulador`` when the simulator did not take it."""
    view = dict(local_dates(tenant.public_view()))
    if simulator_error is not None:
        log.warning("simulator_registration_failed", tenant=tenant.slug, error=simulator_error)
        view["simulador"] = {"registrado": False, "error": simulator_error}
    return view


async def _patch(request: web.Request, tenant: Tenant, actor: str) -> web.Response:
    body, _ = await read_json(request)
    today = paraguay_local(request.app[DEPS].clock()).date()
    try:
        updated, sim_error = await company_admin(request).update(tenant, body, actor=actor, today=today)
    except PatchRefused as exc:
        raise invalid(exc.issues, limit=10) from exc
    return json_response({"success": True, "result": company_view(updated, sim_error)})


async def _history(request: web.Request, tenant: Tenant) -> web.Response:
    items = await company_admin(request).history(tenant)
    return json_response({"success": True, "result": {"items": items}})


async def _checklist(request: web.Request, tenant: Tenant) -> web.Response:
    items = await company_admin(request).checklist(tenant)
    complete = all(i.ok for i in items if i.required)
    body = {"ambiente": tenant.environment.value, "completo": complete, "items": [i.as_dict() for i in items]}
    return json_response({"success": True, "result": body})


async def _switch(request: web.Request, tenant: Tenant, actor: str) -> web.Response:
    body, _ = await read_json(request)
    raw = body.get("ambiente") if isinstance(body, dict) else None
    try:
        target = Environment(str(raw))
    except ValueError as exc:
        raise ApiError(
            400, "AMBIENTE_INVALIDO", "ambiente debe ser simulado, test o produccion", path="ambiente"
        ) from exc
    try:
        updated = await company_admin(request).switch(tenant, target, actor=actor)
    except SwitchRefused as exc:
        raise ApiError(
            409,
            exc.code,
            exc.message,
            path="ambiente",
            issues=[
                dict(i.as_dict(), path=f"checklist.{i.code}")
                for i in exc.checklist
                if i.required and not i.ok
            ],
        ) from exc
    return json_response({"success": True, "result": company_view(updated)})


async def admin_patch(request: web.Request) -> web.Response:
    return await _patch(request, await _admin_target(request), MASTER_ACTOR)


async def admin_history(request: web.Request) -> web.Response:
    return await _history(request, await _admin_target(request))


async def admin_checklist(request: web.Request) -> web.Response:
    return await _checklist(request, await _admin_target(request))


async def admin_switch(request: web.Request) -> web.Response:
    return await _switch(request, await _admin_target(request), MASTER_ACTOR)


async def own_view(request: web.Request) -> web.Response:
    tenant, _ = await _own_target(request)
    return json_response({"success": True, "result": company_view(tenant)})


async def own_patch(request: web.Request) -> web.Response:
    tenant, actor = await _own_target(request)
    return await _patch(request, tenant, actor)


async def own_history(request: web.Request) -> web.Response:
    tenant, _ = await _own_target(request)
    return await _history(request, tenant)


async def own_checklist(request: web.Request) -> web.Response:
    tenant, _ = await _own_target(request)
    return await _checklist(request, tenant)


async def own_switch(request: web.Request) -> web.Response:
    tenant, actor = await _own_target(request)
    return await _switch(request, tenant, actor)
