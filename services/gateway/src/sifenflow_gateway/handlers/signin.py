"""Signing in without passwords: a one-time link by email, OpenID Connect, or an invitation; then
refresh, sign out, and "who am I" (docs/users.md).

Links arrive by email and mail scanners fetch them: a GET only shows a page whose button POSTs, and
only the POST spends the link and opens the session.
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

from aiohttp import web

from sifenflow_common.users.repository import INVITATION, SIGN_IN, User
from sifenflow_common.users.sessions import RefreshOutcome
from sifenflow_common.users.tokens import normalize_email
from sifenflow_gateway.accounts import AccountDeps
from sifenflow_gateway.actor import ACTION, ACTION_TENANTS, ACTOR, Actor
from sifenflow_gateway.auth import bad_csrf, no_session, session_user
from sifenflow_gateway.background import spawn
from sifenflow_gateway.cookies import REFRESH_COOKIE, clear_session_cookies, csrf_ok, set_session_cookies
from sifenflow_gateway.errors import ApiError, error_body, json_response
from sifenflow_gateway.keys import DEPS, SETTINGS
from sifenflow_gateway.oidc import OidcError, verified_email
from sifenflow_gateway.requests import read_json
from sifenflow_gateway.signin_mail import signin_letter

# at most this many sign-in links per address and window; more requests still answer 202
LINKS_PER_WINDOW = 5
LINK_WINDOW = timedelta(minutes=15)

_PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


def accounts_of(request: web.Request) -> AccountDeps:
    accounts = request.app[DEPS].accounts
    if accounts is None:
        raise ApiError(404, "USUARIOS_NO_DISPONIBLES", "Este servidor no tiene usuarios habilitados")
    return accounts


def expired_link() -> ApiError:
    return ApiError(410, "ENLACE_INVALIDO", "El enlace no existe, venció o ya fue usado", path="path.token")


async def request_link(request: web.Request) -> web.Response:
    accounts = accounts_of(request)
    body, _ = await read_json(request)
    email = normalize_email(body.get("email") if isinstance(body, dict) else None)
    if email is None:
        raise ApiError(400, "EMAIL_INVALIDO", "email debe ser una dirección de correo válida", path="email")
    user = await accounts.users.by_email(email)
    recent = await accounts.users.recent_links(email, SIGN_IN, LINK_WINDOW) if user else 0
    if user is not None and recent < LINKS_PER_WINDOW:
        settings = request.app[SETTINGS]
        ttl = timedelta(minutes=settings.signin_link_ttl_minutes)
        token, _ = await accounts.users.create_link(SIGN_IN, email, ttl)
        url = (
            f"{settings.signin_link_base}{token}"
            if settings.signin_link_base
            else link_url(settings.public_url, token)
        )
        letter = signin_letter(email, url, settings.signin_link_ttl_minutes)
        spawn(request.app, accounts.mailer.send(letter), "sign-in mail")
    # the same answer whether or not the address has an account
    message = "Si la dirección tiene una cuenta, recibirá un enlace de ingreso"
    return json_response({"success": True, "result": {"mensaje": message}}, 202)


def link_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/auth/enlace/{token}"


def invitation_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/auth/invitaciones/{token}"


def _confirm_page(title: str, text: str, button: str) -> web.Response:
    page = (
        "<!doctype html><html lang='es'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body style='font-family:sans-serif;max-width:32em;"
        f"margin:4em auto'><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        f"<form method='post'><button type='submit'>{html.escape(button)}</button></form></body></html>"
    )
    return web.Response(text=page, content_type="text/html", headers={"Content-Security-Policy": _PAGE_CSP})


async def confirm_link(request: web.Request) -> web.Response:
    link = await accounts_of(request).users.peek_link(request.match_info["token"], SIGN_IN)
    if link is None:
        raise expired_link()
    return _confirm_page("Ingresar a sifenflow", f"Ingresar como {link.email}.", "Ingresar")


async def use_link(request: web.Request) -> web.Response:
    accounts = accounts_of(request)
    link = await accounts.users.spend_link(request.match_info["token"], SIGN_IN)
    user = await accounts.users.by_email(link.email) if link else None
    if user is None:
        raise expired_link()
    return await _signed_in(request, accounts, user, "enlace")


async def _signed_in(request: web.Request, accounts: AccountDeps, user: User, method: str) -> web.Response:
    """Opens the session (cookies), records the sign-in for each of the user's companies."""
    tokens = await accounts.sessions.create(user.id, method)
    await accounts.users.signed_in(user.id)
    memberships = await accounts.users.memberships(user.id)
    request[ACTOR] = Actor("user", str(user.id), user.email)
    request[ACTION] = f"auth.{method}"
    request[ACTION_TENANTS] = tuple(m.tenant_id for m in memberships) or (None,)
    body = {"success": True, "result": _me(user, memberships)}
    response = json_response(body)
    set_session_cookies(request, response, tokens)
    return response


def _me(user: User, memberships: list[Any]) -> dict[str, Any]:
    return {"usuario": user.public_view(), "empresas": [m.public_view() for m in memberships]}


async def refresh(request: web.Request) -> web.Response:
    accounts = accounts_of(request)
    token = request.cookies.get(REFRESH_COOKIE, "")
    session = await accounts.sessions.by_refresh(token) if token else None
    if session is None:
        raise no_session()
    if not csrf_ok(request, session.csrf_hash):
        raise bad_csrf()
    outcome, tokens = await accounts.sessions.refresh(token)
    if outcome is RefreshOutcome.REUSED:
        user = await accounts.users.get(session.user_id)
        request[ACTOR] = Actor("user", str(session.user_id), user.email if user else "")
        request[ACTION] = "auth.refresh.reutilizado"
        memberships = await accounts.users.memberships(session.user_id)
        request[ACTION_TENANTS] = tuple(m.tenant_id for m in memberships) or (None,)
        err = ApiError(
            401,
            "SESION_REVOCADA",
            "El token de renovación ya fue usado: la sesión se cerró por seguridad",
            path="cookies",
        )
        response = json_response(error_body(err), 401)
        clear_session_cookies(response)
        return response
    if tokens is None:
        raise no_session()
    response = json_response({"success": True, "result": {"renovado": True}})
    set_session_cookies(request, response, tokens)
    return response


async def sign_out(request: web.Request) -> web.Response:
    accounts = accounts_of(request)
    session, user = await session_user(request)
    await accounts.sessions.revoke(session.session_id, "signed out")
    memberships = await accounts.users.memberships(user.id)
    request[ACTION] = "auth.salir"
    request[ACTION_TENANTS] = tuple(m.tenant_id for m in memberships) or (None,)
    response = json_response({"success": True, "result": {"sesionCerrada": True}})
    clear_session_cookies(response)
    return response


async def me(request: web.Request) -> web.Response:
    accounts = accounts_of(request)
    _, user = await session_user(request)
    memberships = await accounts.users.memberships(user.id)
    return json_response({"success": True, "result": _me(user, memberships)})


async def oidc_start(request: web.Request) -> web.Response:
    accounts = accounts_of(request)
    if accounts.oidc is None:
        raise ApiError(404, "OIDC_NO_CONFIGURADO", "El ingreso único (OpenID Connect) no está configurado")
    try:
        pending, url = await accounts.oidc.start()
    except (OidcError, OSError) as exc:
        raise ApiError(502, "OIDC_PROVEEDOR_ERROR", f"El proveedor de identidad no responde: {exc}") from exc
    await accounts.oidc_requests.save(pending)
    return web.Response(status=302, headers={"Location": url})


async def oidc_return(request: web.Request) -> web.Response:
    accounts = accounts_of(request)
    if accounts.oidc is None:
        raise ApiError(404, "OIDC_NO_CONFIGURADO", "El ingreso único (OpenID Connect) no está configurado")
    if "error" in request.query:
        raise ApiError(
            401, "OIDC_RECHAZADO", "El proveedor de identidad rechazó el ingreso", path="query.error"
        )
    state, code = request.query.get("state", ""), request.query.get("code", "")
    pending = await accounts.oidc_requests.take(state) if state else None
    if pending is None or not code:
        raise ApiError(
            400, "OIDC_ESTADO_INVALIDO", "Ingreso desconocido, vencido o ya usado", path="query.state"
        )
    try:
        claims = await accounts.oidc.finish(pending, code)
    except (OidcError, OSError) as exc:
        raise ApiError(401, "OIDC_TOKEN_INVALIDO", f"No se pudo verificar el ingreso: {exc}") from exc
    email = verified_email(claims)
    if email is None:
        raise ApiError(403, "OIDC_EMAIL_NO_VERIFICADO", "El proveedor no confirma una dirección de correo")
    user = await accounts.users.by_email(email)
    if user is None:
        raise ApiError(
            403, "USUARIO_NO_REGISTRADO", "No hay una cuenta con ese correo; pida una invitación a su empresa"
        )
    return await _signed_in(request, accounts, user, "oidc")


async def confirm_invitation(request: web.Request) -> web.Response:
    accounts = accounts_of(request)
    link = await accounts.users.peek_link(request.match_info["token"], INVITATION)
    if link is None or link.tenant_id is None or link.role is None:
        raise expired_link()
    tenant = await request.app[DEPS].directory.get_tenant(str(link.tenant_id))
    company = tenant.nombre if tenant else str(link.tenant_id)
    text = f"Unirse a {company} como {link.role.value} ({link.email})."
    return _confirm_page("Invitación a sifenflow", text, "Aceptar la invitación")


async def accept_invitation(request: web.Request) -> web.Response:
    accounts = accounts_of(request)
    link = await accounts.users.spend_link(request.match_info["token"], INVITATION)
    if link is None or link.tenant_id is None or link.role is None:
        raise expired_link()
    user = await accounts.users.ensure(link.email)
    await accounts.users.set_role(user.id, link.tenant_id, link.role)
    return await _signed_in(request, accounts, user, "invitacion")
