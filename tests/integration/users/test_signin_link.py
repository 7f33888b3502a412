"""Sign-in by a one-time link sent by email, end to end over HTTP, real SMTP and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sifenflow_common.tenants.model import Role
from sifenflow_common.users.repository import SIGN_IN
from tests.integration.users.conftest import Session, Site, link_in

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_link_signs_in_once_and_the_session_answers_who_i_am(site: Site) -> None:
    tenant = await site.tenant()
    user = await site.user(tenant, Role.EMISOR)
    asked = await site.call("POST", "/auth/enlace", json={"email": user.email.upper()})
    assert asked.status == 202
    message = await site.mailbox.wait_for(user.email)
    path = link_in(message, "enlace")
    token = path.rsplit("/", 1)[1]
    assert token not in str(await site.pool.fetch("SELECT * FROM user_links"))  # stored hashed

    page = await site.call("GET", path)  # what a mail scanner fetches: a page, the link stays unspent
    assert page.status == 200
    assert "<form method='post'>" in await page.text()
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]

    signed = await site.call("POST", path)
    assert signed.status == 200, await signed.text()
    body = await signed.json()
    assert body["result"]["usuario"]["email"] == user.email
    assert body["result"]["empresas"] == [
        {"id": str(tenant.id), "slug": tenant.slug, "nombre": tenant.nombre, "rol": "emisor"}
    ]
    access, refresh, csrf = (signed.cookies[n] for n in ("sf_access", "sf_refresh", "sf_csrf"))
    assert access["httponly"] and refresh["httponly"] and not csrf["httponly"]
    assert access["samesite"] == "Lax" and refresh["samesite"] == "Strict"
    assert refresh["path"] == "/auth" and access["path"] == "/"
    assert not access["secure"]  # plain HTTP here

    session = Session.of(signed)
    me = await site.call("GET", "/auth/yo", cookies=session.cookies)
    assert me.status == 200
    assert (await me.json())["result"]["empresas"][0]["slug"] == tenant.slug

    again = await site.call("POST", path)
    assert again.status == 410
    assert (await again.json())["code"] == "ENLACE_INVALIDO"


async def test_cookies_are_secure_over_https(site: Site) -> None:
    user = await site.user(await site.tenant())
    await site.call("POST", "/auth/enlace", json={"email": user.email})
    path = link_in(await site.mailbox.wait_for(user.email), "enlace")
    signed = await site.call("POST", path, headers={"X-Forwarded-Proto": "https"})
    assert signed.status == 200
    assert all(signed.cookies[n]["secure"] for n in ("sf_access", "sf_refresh", "sf_csrf"))


async def test_unknown_address_gets_the_same_answer_and_no_mail(site: Site) -> None:
    known = await site.user(await site.tenant())
    unknown = "nadie-" + known.email
    first = await site.call("POST", "/auth/enlace", json={"email": unknown})
    second = await site.call("POST", "/auth/enlace", json={"email": known.email})
    assert first.status == second.status == 202
    assert await first.json() == await second.json()
    await site.mailbox.wait_for(known.email)  # sent after the unknown one was handled
    assert site.mailbox.to(unknown) == []
    assert await site.pool.fetchval("SELECT count(*) FROM user_links WHERE email = $1", unknown) == 0


async def test_bad_address_is_a_400_with_its_path(site: Site) -> None:
    response = await site.call("POST", "/auth/enlace", json={"email": "no es un correo"})
    assert response.status == 400
    body = await response.json()
    assert (body["code"], body["errores"][0]["path"]) == ("EMAIL_INVALIDO", "email")


async def test_expired_and_unknown_links_are_refused(site: Site) -> None:
    user = await site.user(await site.tenant())
    token, _ = await site.users.create_link(SIGN_IN, user.email, timedelta(seconds=-1))
    for method in ("GET", "POST"):
        response = await site.call(method, f"/auth/enlace/{token}")
        assert response.status == 410, method
    assert (await site.call("POST", "/auth/enlace/desconocido")).status == 410


async def test_sign_out_ends_the_session(site: Site) -> None:
    session = await site.sign_in(await site.user(await site.tenant()))
    without_csrf = await site.call("POST", "/auth/salir", cookies=session.cookies)
    assert without_csrf.status == 403
    out = await site.call("POST", "/auth/salir", cookies=session.cookies, headers=session.write_headers)
    assert out.status == 200
    assert out.cookies["sf_access"].value == ""
    assert (await site.call("GET", "/auth/yo", cookies=session.cookies)).status == 401
    refreshed = await site.call(
        "POST",
        "/auth/refresh",
        cookies={"sf_refresh": session.refresh, "sf_csrf": session.csrf},
        headers=session.write_headers,
    )
    assert refreshed.status == 401


async def test_the_link_token_never_reaches_the_logs(site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    user = await site.user(await site.tenant())
    await site.call("POST", "/auth/enlace", json={"email": user.email})
    path = link_in(await site.mailbox.wait_for(user.email), "enlace")
    await site.call("GET", path)
    await site.call("POST", path)
    logged = capsys.readouterr()
    assert "/auth/enlace/{token}" in logged.out + logged.err
    assert path.rsplit("/", 1)[1] not in logged.out + logged.err
