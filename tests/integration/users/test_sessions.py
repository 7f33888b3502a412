"""Session tokens: the refresh token rotates on each use, a spent one coming back revokes the whole
family; cookie-authenticated writes need the CSRF token."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sifenflow_common.tenants.model import Role
from sifenflow_common.users.repository import SIGN_IN
from sifenflow_common.users.sessions import SessionRepository, SessionTtl
from sifenflow_common.users.tokens import hash_token
from tests.integration.users.conftest import Session, Site

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def _refresh(site: Site, session: Session, refresh: str | None = None) -> tuple[int, Session | None]:
    response = await site.call(
        "POST",
        "/auth/refresh",
        cookies={"sf_refresh": refresh or session.refresh, "sf_csrf": session.csrf},
        headers=session.write_headers,
    )
    if response.status != 200:
        return response.status, None
    return 200, Session.of(response, session.csrf)


async def test_each_refresh_gives_new_tokens_and_ends_the_old_access(site: Site) -> None:
    first = await site.sign_in(await site.user(await site.tenant()))
    status, second = await _refresh(site, first)
    assert status == 200 and second is not None
    assert second.refresh != first.refresh and second.access != first.access
    assert (await site.call("GET", "/auth/yo", cookies=second.cookies)).status == 200
    assert (await site.call("GET", "/auth/yo", cookies=first.cookies)).status == 401
    status, third = await _refresh(site, second)
    assert status == 200 and third is not None
    assert (await site.call("GET", "/auth/yo", cookies=third.cookies)).status == 200


async def test_reusing_a_spent_refresh_token_revokes_the_family(site: Site) -> None:
    user = await site.user(await site.tenant())
    first = await site.sign_in(user)
    other = await site.sign_in(user)  # another device: another family, untouched
    status, second = await _refresh(site, first)
    assert status == 200 and second is not None

    reuse = await site.call(
        "POST",
        "/auth/refresh",
        cookies={"sf_refresh": first.refresh, "sf_csrf": first.csrf},
        headers=first.write_headers,
    )
    assert reuse.status == 401
    assert (await reuse.json())["code"] == "SESION_REVOCADA"
    assert reuse.cookies["sf_refresh"].value == ""

    # the family is gone: the newest access and refresh tokens too
    assert (await site.call("GET", "/auth/yo", cookies=second.cookies)).status == 401
    assert (await _refresh(site, second))[0] == 401
    assert (await site.call("GET", "/auth/yo", cookies=other.cookies)).status == 200
    reason = await site.pool.fetchval(
        "SELECT revoked_reason FROM user_sessions s JOIN session_tokens t ON t.session_id = s.id "
        "WHERE t.token_hash = encode(sha256($1::bytea), 'hex')",
        first.refresh.encode(),
    )
    assert reason == "refresh token reused"


async def test_refresh_without_the_csrf_token_is_refused_and_spends_nothing(site: Site) -> None:
    session = await site.sign_in(await site.user(await site.tenant()))
    response = await site.call("POST", "/auth/refresh", cookies={"sf_refresh": session.refresh})
    assert response.status == 403
    assert (await _refresh(site, session))[0] == 200


async def test_cookie_write_without_csrf_token_is_403(site: Site) -> None:
    tenant = await site.tenant()
    session = await site.sign_in(await site.user(tenant, Role.ADMIN))
    body = {"email": "nuevo@example.com", "rol": "contador"}
    path = f"/{tenant.slug}/usuarios/invitaciones"

    missing = await site.call("POST", path, json=body, cookies=session.cookies)
    assert missing.status == 403
    assert (await missing.json())["code"] == "CSRF_INVALIDO"
    wrong = await site.call("POST", path, json=body, cookies=session.cookies, headers={"X-CSRF-Token": "x"})
    assert wrong.status == 403
    # a cookie value alone is not enough: it must be this session's token
    other = await site.sign_in(await site.user(tenant, Role.ADMIN))
    crossed = await site.call("POST", path, json=body, cookies=session.cookies, headers=other.write_headers)
    assert crossed.status == 403

    ok = await site.call("POST", path, json=body, cookies=session.cookies, headers=session.write_headers)
    assert ok.status == 201, await ok.text()
    # reads need no CSRF token
    assert (await site.call("GET", f"/{tenant.slug}/usuarios", cookies=session.cookies)).status == 200


async def test_no_session_and_a_forged_cookie_are_401(site: Site) -> None:
    assert (await site.call("GET", "/auth/yo")).status == 401
    forged = await site.call("GET", "/auth/yo", cookies={"sf_access": "inventado"})
    assert forged.status == 401
    assert (await forged.json())["code"] == "SESION_INVALIDA"


async def test_expired_tokens_and_links_are_purged(site: Site) -> None:
    user = await site.user(await site.tenant())
    old, _ = await site.users.create_link(SIGN_IN, user.email, timedelta(days=-2))
    live, _ = await site.users.create_link(SIGN_IN, user.email, timedelta(minutes=5))
    sessions = SessionRepository(
        site.pool, SessionTtl(timedelta(days=-2), timedelta(days=-2), timedelta(days=1))
    )
    stale = await sessions.create(user.id, "enlace")
    assert await sessions.purge_expired(timedelta(days=1)) >= 3
    hashes = {hash_token(t) for t in (old, live, stale.access, stale.refresh)}
    left = await site.pool.fetch(
        "SELECT token_hash FROM user_links WHERE token_hash = any($1::text[]) "
        "UNION ALL SELECT token_hash FROM session_tokens WHERE token_hash = any($1::text[])",
        list(hashes),
    )
    assert {r["token_hash"] for r in left} == {hash_token(live)}
