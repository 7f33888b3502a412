"""The audit log: writes by keys and users and sign-ins are recorded (who, what, result), readable
page by page by the company's admin; append-only; no token ever in it."""

from __future__ import annotations

import asyncpg
import pytest

from sifenflow_common.tenants.model import Role
from tests.integration.users.conftest import Site

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_actions_of_keys_and_users_are_recorded_and_paged(site: Site) -> None:
    tenant = await site.tenant()
    admin_user = await site.user(tenant, Role.ADMIN)
    admin = await site.sign_in(admin_user)
    key = await site.key(tenant, Role.EMISOR)
    bearer = {"Authorization": f"Bearer {key}"}
    await site.call("POST", f"/{tenant.slug}/de/create", json={}, headers=bearer)  # 400
    await site.call("POST", f"/{tenant.slug}/webhooks", json={}, headers=bearer)  # 403: emisor
    await site.call("GET", f"/{tenant.slug}/test", headers=bearer)  # a read: not recorded
    invited = await site.call(
        "POST",
        f"/{tenant.slug}/usuarios/invitaciones",
        json={"email": "auditada@example.com", "rol": "contador"},
        cookies=admin.cookies,
        headers=admin.write_headers,
    )
    assert invited.status == 201

    response = await site.call("GET", f"/{tenant.slug}/auditoria?limit=2", cookies=admin.cookies)
    assert response.status == 200
    page = (await response.json())["result"]
    assert len(page["items"]) == 2 and page["nextCursor"]
    items = list(page["items"])
    while page["nextCursor"]:
        more = await site.call(
            "GET", f"/{tenant.slug}/auditoria?limit=2&cursor={page['nextCursor']}", cookies=admin.cookies
        )
        page = (await more.json())["result"]
        items += page["items"]
    seen = [(i["actor"]["tipo"], i["accion"], i["estado"]) for i in items]
    assert seen == [
        ("user", "POST /{tenant}/usuarios/invitaciones", 201),
        ("key", "POST /{tenant}/webhooks", 403),
        ("key", "POST /{tenant}/de/create", 400),
        ("user", "auth.enlace", 200),
    ]
    assert items[0]["actor"]["nombre"] == admin_user.email
    assert items[1]["actor"]["nombre"] == "key-emisor"

    rows = await site.pool.fetch("SELECT * FROM audit_log")
    dump = str([dict(r) for r in rows])
    for secret in (key, admin.access, admin.refresh, admin.csrf):
        assert secret not in dump


async def test_only_admins_read_the_log_and_it_is_append_only(site: Site) -> None:
    tenant = await site.tenant()
    for role in (Role.EMISOR, Role.CONTADOR):
        session = await site.sign_in(await site.user(tenant, role))
        assert (await site.call("GET", f"/{tenant.slug}/auditoria", cookies=session.cookies)).status == 403
    admin = await site.sign_in(await site.user(tenant, Role.ADMIN))
    bad = await site.call("GET", f"/{tenant.slug}/auditoria?limit=0", cookies=admin.cookies)
    assert bad.status == 400
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await site.pool.execute("UPDATE audit_log SET status = 200")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await site.pool.execute("DELETE FROM audit_log")


async def test_sign_out_and_refresh_reuse_are_recorded(site: Site) -> None:
    tenant = await site.tenant()
    user = await site.user(tenant, Role.EMISOR)
    session = await site.sign_in(user)
    await site.call("POST", "/auth/salir", cookies=session.cookies, headers=session.write_headers)
    again = await site.sign_in(user)
    refresh = {"sf_refresh": again.refresh, "sf_csrf": again.csrf}
    assert (
        await site.call("POST", "/auth/refresh", cookies=refresh, headers=again.write_headers)
    ).status == 200
    assert (
        await site.call("POST", "/auth/refresh", cookies=refresh, headers=again.write_headers)
    ).status == 401
    actions = await site.pool.fetch(
        "SELECT action, status FROM audit_log WHERE tenant_id = $1 ORDER BY id", tenant.id
    )
    assert [(r["action"], r["status"]) for r in actions] == [
        ("auth.enlace", 200),
        ("auth.salir", 200),
        ("auth.enlace", 200),
        ("auth.refresh.reutilizado", 401),
    ]
