"""Rendering helpers shared by the views: the signed-in context, redirects and error pages."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp_jinja2
from aiohttp import web

from sifenflow_common.tenants.input import SLUG_RE
from sifenflow_console.gateway_client import CLIENT, Answer, GatewayClient
from sifenflow_console.labels import AMBIENTES

BASE = "/consola"
PARAGUAY = ZoneInfo("America/Asuncion")
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
WRITE_ROLES = frozenset({"admin", "emisor"})


def client(request: web.Request) -> GatewayClient:
    return request.app[CLIENT]


def today() -> str:
    return datetime.now(PARAGUAY).date().isoformat()


def redirect(location: str, cookies: tuple[str, ...] = ()) -> web.Response:
    response = web.Response(status=303, headers={"Location": location})
    for cookie in cookies:
        response.headers.add("Set-Cookie", cookie)
    return response


def render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, {"base": BASE, **context}, status=status)
    response.headers["Content-Security-Policy"] = CSP
    return response


@dataclass(frozen=True, slots=True)
class Company:
    """The signed-in user, the company in the path and what the user may do in it."""

    usuario: dict[str, Any]
    empresas: list[dict[str, Any]]
    slug: str
    nombre: str
    rol: str
    ambiente: str
    csrf: str

    @property
    def can_write(self) -> bool:
        return self.rol in WRITE_ROLES

    def context(self) -> dict[str, Any]:
        return {
            "usuario": self.usuario,
            "empresas": self.empresas,
            "empresa": self,
            "ambiente": self.ambiente,
            "ambiente_label": AMBIENTES.get(self.ambiente, self.ambiente),
            "csrf": self.csrf,
        }


class SignInNeeded(Exception):
    pass


async def company(request: web.Request) -> Company:
    """Who is signed in and their role in ``{tenant}``: SignInNeeded without a valid session,
    CompanyNotFound (a 404 page) for a company that is not theirs."""
    slug = request.match_info["tenant"]
    if not SLUG_RE.match(slug):
        raise CompanyNotFound
    api = client(request)
    yo, env = await asyncio.gather(
        api.call(request, "GET", "/auth/yo"),
        api.call(
            request, "GET", f"/{slug}/reportes/habilitacion", params={"desde": today(), "hasta": today()}
        ),
    )
    if yo.status == 401:
        raise SignInNeeded
    empresas = list(yo.result["empresas"]) if yo.ok else []
    current = next((e for e in empresas if e["slug"] == slug), None)
    if current is None:
        raise CompanyNotFound
    ambiente = env.result.get("ambienteActual", "") if env.ok and isinstance(env.result, dict) else ""
    return Company(
        usuario=yo.result["usuario"],
        empresas=empresas,
        slug=slug,
        nombre=current["nombre"],
        rol=current["rol"],
        ambiente=ambiente,
        csrf=request.cookies.get("sf_csrf", ""),
    )


class CompanyNotFound(Exception):
    pass


def problem(request: web.Request, answer: Answer, context: dict[str, Any]) -> web.Response:
    return render(request, "error.html", {**context, "errores": answer.errors()}, status=answer.status)


@web.middleware
async def session_pages(request: web.Request, handler: Any) -> web.StreamResponse:
    """No session → the sign-in page; a company not the user's → a 404 page."""
    try:
        response: web.StreamResponse = await handler(request)
    except SignInNeeded:
        return redirect(f"{BASE}/ingreso")
    except CompanyNotFound:
        return render(request, "error.html", {"errores": ["Empresa no encontrada"]}, status=404)
    return response
