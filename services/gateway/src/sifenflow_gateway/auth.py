"""Who may call: an API key or a user's session cookie, for tenant routes; the master key for /admin.
Both kinds of principal hold one role in one company and go through the same table (authz.ACCESS).
A principal only sees its own company: any other in the path answers 404, exactly like a company
that does not exist. Cookie-authenticated writes need the session's CSRF token.

The key travels as `Authorization: Bearer api_key_…` or, as FacturaSend's authentication page also
shows it, as the bare `Authorization: api_key_…`; both reach the same constant-time check."""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass

import structlog
from aiohttp import web

from sifenflow_common.tenants.model import Role, Tenant
from sifenflow_common.tenants.repository import ApiKeyRecord
from sifenflow_common.users.repository import User
from sifenflow_common.users.sessions import ActiveSession
from sifenflow_gateway.actor import ACTOR, Actor
from sifenflow_gateway.authz import roles_for
from sifenflow_gateway.cookies import ACCESS_COOKIE, CSRF_HEADER, SAFE_METHODS, csrf_ok
from sifenflow_gateway.errors import ApiError
from sifenflow_gateway.keys import DEPS, RATE_LIMITER, SETTINGS


@dataclass(frozen=True, slots=True)
class Principal:
    tenant: Tenant
    role: Role
    key: ApiKeyRecord | None = None  # exactly one of key and user
    user: User | None = None

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.user.id if self.user else None


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


def no_session() -> ApiError:
    return ApiError(
        401, "SESION_INVALIDA", "Sesión inexistente o vencida; ingrese nuevamente", path="cookies"
    )


def bad_csrf() -> ApiError:
    return ApiError(
        403,
        "CSRF_INVALIDO",
        "Falta el token CSRF de la sesión o no coincide",
        path=f"headers.{CSRF_HEADER}",
    )


def not_found() -> ApiError:
    return ApiError(404, "EMPRESA_NO_ENCONTRADA", "Empresa no encontrada", path="tenant")


async def authenticate(request: web.Request) -> Principal:
    token = _bearer(request)
    if token is not None:
        principal = await _key_principal(request, token)
    elif request.cookies.get(ACCESS_COOKIE):
        principal = await _user_principal(request)
    else:
        raise unauthorized()
    check_role(principal, request)
    bucket = str(principal.key.id) if principal.key else f"user:{principal.user_id}"
    wait = await request.app[RATE_LIMITER].take(bucket)
    if wait > 0:
        raise ApiError(
            429,
            "LIMITE_DE_SOLICITUDES",
            "Demasiadas solicitudes para esta clave; reintente más tarde",
            headers={"Retry-After": str(max(1, int(wait + 0.999)))},
        )
    return principal


async def _key_principal(request: web.Request, token: str) -> Principal:
    found = await request.app[DEPS].directory.authenticate(token)
    if found is None:
        raise unauthorized()
    key, tenant = found
    structlog.contextvars.bind_contextvars(tenant_id=str(tenant.id), api_key=key.lookup_id)
    request[ACTOR] = Actor("key", str(key.id), key.label, tenant.id)
    return Principal(tenant=tenant, role=key.role, key=key)


async def session_user(request: web.Request) -> tuple[ActiveSession, User]:
    """The live session of the access cookie and its user; writes must carry its CSRF token."""
    accounts = request.app[DEPS].accounts
    token = request.cookies.get(ACCESS_COOKIE, "")
    if accounts is None or not token:
        raise no_session()
    session = await accounts.sessions.by_access(token)
    user = await accounts.users.get(session.user_id) if session else None
    if session is None or user is None:
        raise no_session()
    request[ACTOR] = Actor("user", str(user.id), user.email)
    if request.method not in SAFE_METHODS and not csrf_ok(request, session.csrf_hash):
        raise bad_csrf()
    return session, user


async def _user_principal(request: web.Request) -> Principal:
    _, user = await session_user(request)
    ref = request.match_info.get("tenant") or request.query.get("company_id")
    if not ref:
        raise ApiError(
            400,
            "EMPRESA_REQUERIDA",
            "Con una sesión de usuario indique la empresa (company_id)",
            path="query.company_id",
        )
    deps = request.app[DEPS]
    tenant = await deps.directory.get_tenant(ref)
    accounts = deps.accounts
    role = await accounts.users.role_in(user.id, tenant.id) if tenant and accounts else None
    if tenant is None or role is None or not tenant.active:
        raise not_found()
    structlog.contextvars.bind_contextvars(tenant_id=str(tenant.id), user_id=str(user.id))
    request[ACTOR] = Actor("user", str(user.id), user.email, tenant.id)
    return Principal(tenant=tenant, role=role, user=user)


def check_role(principal: Principal, request: web.Request) -> None:
    """The principal's role against the route's entry in the authorization table (authz.ACCESS)."""
    route = request.match_info.route
    allowed = roles_for(route.method, route.resource.canonical if route.resource else "")
    role = principal.role
    if role not in allowed:
        who = "La clave" if principal.key else "El usuario"
        raise ApiError(
            403, "ROL_NO_AUTORIZADO", f"{who} con rol '{role.value}' no puede realizar esta operación"
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
