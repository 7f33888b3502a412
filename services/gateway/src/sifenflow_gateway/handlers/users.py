"""A company's users (admin role): invitations by email, roles, removal; and its audit log."""

from __future__ import annotations

import uuid
from datetime import timedelta

from aiohttp import web

from sifenflow_common.tenants.model import Role
from sifenflow_common.users.repository import INVITATION, UserRepository
from sifenflow_common.users.tokens import normalize_email
from sifenflow_gateway.auth import tenant_principal
from sifenflow_gateway.background import spawn
from sifenflow_gateway.errors import ApiError, json_response
from sifenflow_gateway.handlers.signin import accounts_of, invitation_url
from sifenflow_gateway.keys import SETTINGS
from sifenflow_gateway.requests import read_json
from sifenflow_gateway.signin_mail import invitation_letter

AUDIT_PAGE_MAX = 200


def _role(raw: object) -> Role:
    if raw not in ("admin", "emisor", "contador"):
        raise ApiError(400, "ROL_INVALIDO", "rol debe ser admin, emisor o contador", path="rol")
    return Role(raw)


def _user_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["user_id"])
    except ValueError as exc:
        raise _no_member() from exc


def _no_member() -> ApiError:
    return ApiError(404, "USUARIO_NO_ENCONTRADO", "El usuario no pertenece a la empresa", path="path.user_id")


async def list_members(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    members = await accounts_of(request).users.members(principal.tenant.id)
    return json_response({"success": True, "result": {"items": [m.public_view() for m in members]}})


async def invite(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    accounts = accounts_of(request)
    body, _ = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_INVALIDO", "Se esperaba un objeto JSON")
    email = normalize_email(body.get("email"))
    if email is None:
        raise ApiError(400, "EMAIL_INVALIDO", "email debe ser una dirección de correo válida", path="email")
    role = _role(body.get("rol"))
    settings = request.app[SETTINGS]
    token, expires = await accounts.users.create_link(
        INVITATION,
        email,
        timedelta(hours=settings.invitation_ttl_hours),
        tenant_id=principal.tenant.id,
        role=role,
        invited_by=principal.user_id,
    )
    letter = invitation_letter(
        email,
        invitation_url(settings.public_url, token),
        principal.tenant.nombre,
        role.value,
        settings.invitation_ttl_hours,
    )
    spawn(request.app, accounts.mailer.send(letter), "invitation mail")
    result = {"email": email, "rol": role.value, "vence": expires}
    return json_response({"success": True, "result": result}, 201)


async def change_role(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    users = accounts_of(request).users
    body, _ = await read_json(request)
    role = _role(body.get("rol") if isinstance(body, dict) else None)
    user_id = _user_id(request)
    current = await users.role_in(user_id, principal.tenant.id)
    if current is None:
        raise _no_member()
    if current is Role.ADMIN and role is not Role.ADMIN:
        await _keep_an_admin(users, principal.tenant.id)
    await users.change_role(principal.tenant.id, user_id, role)
    return json_response({"success": True, "result": {"id": str(user_id), "rol": role.value}})


async def remove_member(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    users = accounts_of(request).users
    user_id = _user_id(request)
    current = await users.role_in(user_id, principal.tenant.id)
    if current is None:
        raise _no_member()
    if current is Role.ADMIN:
        await _keep_an_admin(users, principal.tenant.id)
    await users.remove(principal.tenant.id, user_id)
    return json_response({"success": True, "result": {"id": str(user_id), "eliminado": True}})


async def _keep_an_admin(users: UserRepository, tenant_id: uuid.UUID) -> None:
    if await users.admins(tenant_id) <= 1:
        raise ApiError(409, "ULTIMO_ADMIN", "La empresa debe conservar al menos un usuario admin")


async def audit_log(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    limit = _int_query(request, "limit", 50)
    if not 1 <= limit <= AUDIT_PAGE_MAX:
        raise ApiError(
            400, "LIMITE_INVALIDO", f"limit debe estar entre 1 y {AUDIT_PAGE_MAX}", path="query.limit"
        )
    cursor = request.query.get("cursor")
    before = _int_query(request, "cursor", 0) if cursor else None
    items, next_cursor = await accounts_of(request).audit.page(
        principal.tenant.id, limit=limit, before=before
    )
    result = {"items": items, "nextCursor": str(next_cursor) if next_cursor else None}
    return json_response({"success": True, "result": result})


def _int_query(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ApiError(400, "PARAMETRO_INVALIDO", f"{name} debe ser un número entero", path=f"query.{name}")
    return int(raw)
