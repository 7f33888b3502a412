"""Sign-in by emailed link, sign-out and the company switcher."""

from __future__ import annotations

from aiohttp import web

from sifenflow_common.tenants.input import SLUG_RE
from sifenflow_console.pages import BASE, client, redirect, render


async def home(request: web.Request) -> web.Response:
    yo = await client(request).call(request, "GET", "/auth/yo")
    if not yo.ok or not yo.result["empresas"]:
        return redirect(f"{BASE}/ingreso")
    return redirect(f"{BASE}/{yo.result['empresas'][0]['slug']}/")


async def signin_form(request: web.Request) -> web.Response:
    return render(request, "ingreso.html", {})


async def signin_request(request: web.Request) -> web.Response:
    form = await request.post()
    email = str(form.get("email", "")).strip()
    answer = await client(request).call(request, "POST", "/auth/enlace", json={"email": email})
    if not answer.ok:
        return render(
            request, "ingreso.html", {"email": email, "errores": answer.errors()}, status=answer.status
        )
    return render(request, "ingreso_enviado.html", {"email": email})


async def signin_link(request: web.Request) -> web.Response:
    """Opening the link only shows a button (mail scanners fetch links); the button spends it."""
    return render(request, "ingreso_confirmar.html", {"token": request.match_info["token"]})


async def signin_confirm(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    answer = await client(request).call(request, "POST", f"/auth/enlace/{token}")
    if not answer.ok:
        context = {"token": token, "errores": answer.errors()}
        return render(request, "ingreso_confirmar.html", context, status=answer.status)
    empresas = answer.result["empresas"]
    target = f"{BASE}/{empresas[0]['slug']}/" if empresas else f"{BASE}/"
    return redirect(target, answer.set_cookies)


async def signout(request: web.Request) -> web.Response:
    form = await request.post()
    if form.get("csrf") != request.cookies.get("sf_csrf"):
        return render(request, "error.html", {"errores": ["Solicitud inválida (CSRF)"]}, status=403)
    answer = await client(request).call(request, "POST", "/auth/salir")
    return redirect(f"{BASE}/ingreso", answer.set_cookies)


async def switch_company(request: web.Request) -> web.Response:
    slug = request.query.get("empresa", "")
    return redirect(f"{BASE}/{slug}/" if SLUG_RE.match(slug) else f"{BASE}/")
