"""API keys for tenant routes, the master key for /admin. A key only sees its own tenant: any other
tenant in the path answers 404, exactly like a tenant that does not exist.

The key travels as `Authorization: Bearer api_key_…` or, as FacturaSend's authentication page also
shows it, as the bare `Authorization: api_key_…`; both reach the same constant-time check."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import structlog
from aiohttp import web

from sifenflow_common.tenants.model import Tenant
from sifenflow_common.tenants.repository import ApiKeyRecord
from sifenflow_gateway.authz import roles_for
from sifenflow_gateway.errors import ApiError
from sifenflow_gateway.keys import DEPS, RATE_LIMITER, SETTINGS


@dataclass(frozen=True, slots=True)
class Principal:
    key: ApiKeyRecord
    tenant: Tenant


def _bearer(request: web.Request) -> str | None:
    """The token of `Bearer <token>`, or the whole value when it has no scheme (a bare key)."""
    header = request.headers.get("Authorization", "").strip()
    scheme, _, token = header.partition(" ")
    if not token:
        return scheme or None  # no scheme: the value itself is the key
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def unauthorized() -> ApiError:
    return ApiError(
        401,
        "TOKEN_INVALIDO",
        "Invalid token",
        path="headers.Authorization",
        headers={"WWW-Authenticate": "Bearer"},
    )


def not_found() -> ApiError:
    return ApiError(404, "EMPRESA_NO_ENCONTRADA", "Empresa no encontrada", path="tenant")


async def authenticate(request: web.Request) -> Principal:
    token = _bearer(request)
    if token is None:
        raise unauthorized()
    found = await request.app[DEPS].directory.authenticate(token)
    if found is None:
        raise unauthorized()
    key, tenant = found
    structlog.contextvars.bind_contextvars(tenant_id=str(tenant.id), api_key=key.lookup_id)
    principal = Principal(key=key, tenant=tenant)
    check_role(principal, request)
    wait = await request.app[RATE_LIMITER].take(str(key.id))
    if wait > 0:
        raise ApiError(
            429,
            "LIMITE_DE_SOLICITUDES",
            "Demasiadas solicitudes para esta clave; reintente más tarde",
            headers={"Retry-After": str(max(1, int(wait + 0.999)))},
        )
    return principal


def check_role(principal: Principal, request: web.Request) -> None:
    """The key's role against the route's entry in the authorization table (authz.ACCESS)."""
    route = request.match_info.route
    allowed = roles_for(route.method, route.resource.canonical if route.resource else "")
    role = principal.key.role
    if role not in allowed:
        raise ApiError(
            403, "ROL_NO_AUTORIZADO", f"La clave con rol '{role.value}' no puede realizar esta operación"
        )


async def tenant_principal(request: web.Request) -> Principal:
    """Authenticated principal whose tenant is the `{tenant}` path segment (slug or id)."""
    principal = await authenticate(request)
    ref = request.match_info.get("tenant", "")
    if ref not in (principal.tenant.slug, str(principal.tenant.id)):
        raise not_found()
    return principal


def require_master_key(request: web.Request) -> None:
    master = request.app[SETTINGS].master_key_text()
    token = _bearer(request)
    if not master or token is None or not hmac.compare_digest(token.encode(), master.encode()):
        raise unauthorized()
