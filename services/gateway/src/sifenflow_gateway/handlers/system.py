"""Health checks, emisor params and the geography catalogs."""

from __future__ import annotations

from aiohttp import web

from sifenflow_gateway.auth import tenant_principal
from sifenflow_gateway.errors import json_response
from sifenflow_gateway.keys import DEPS, SETTINGS
from sifenflow_gateway.requests import id_param


async def test(request: web.Request) -> web.Response:
    return web.Response(text=request.app[SETTINGS].test_text, content_type="text/plain")


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers (the gateway reaches RabbitMQ only through the outbox)."""
    check = request.app[DEPS].readiness
    problems = await check() if check is not None else []
    body = {"status": "not ready" if problems else "ready", "problems": problems}
    return json_response(body, status=503 if problems else 200)


async def tenant_test(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    return json_response(
        {"success": True, "result": {"tenant": principal.tenant.slug, "role": principal.role.value}}
    )


async def backend_info(request: web.Request) -> web.Response:
    return json_response({"success": True, "dependencies": {"sifenflow": "0.1.0"}, "version": 150})


async def backend_params(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    settings = request.app[SETTINGS]
    tenant = principal.tenant
    result = {
        "params": dict(tenant.params, version=150),
        "configSetApi": {
            "errorLimit": settings.error_limit,
            "decimals": 2,
            "taxDecimals": 2,
            "pygDecimals": 0,
            "pygTaxDecimals": 2,
            "redondeoSedeco": False,
            "test": tenant.environment.value != "produccion",
        },
        "environment": tenant.environment.value,
        "puntos": {k: list(v) for k, v in tenant.puntos.items()},
    }
    return json_response({"success": True, "result": result})


def _code(request: web.Request, name: str) -> int | None:
    raw = request.match_info.get(name, "NULL")
    if raw.upper() == "NULL":
        return None
    return id_param(raw, name, f"path.{name}")


async def departamentos(request: web.Request) -> web.Response:
    await tenant_principal(request)
    return json_response({"success": True, "result": request.app[DEPS].catalogs.departamentos()})


async def distritos(request: web.Request) -> web.Response:
    await tenant_principal(request)
    rows = request.app[DEPS].catalogs.distritos(_code(request, "departamento"), request.query.get("nombre"))
    return json_response({"success": True, "result": rows})


async def ciudades(request: web.Request) -> web.Response:
    await tenant_principal(request)
    rows = request.app[DEPS].catalogs.ciudades(_code(request, "distrito"), request.query.get("nombre"))
    return json_response({"success": True, "result": rows})
