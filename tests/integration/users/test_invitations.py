"""Invitations by email (admin), accepting them (the user is created if new), several companies per
user, and managing a company's members."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sifenflow_common.tenants.model import Role
from sifenflow_common.users.repository import INVITATION
from tests.integration.users.conftest import Session, Site, link_in

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def _invite(site: Site, slug: str, admin: Session, email: str, rol: str) -> int:
    response = await site.call(
        "POST",
        f"/{slug}/usuarios/invitaciones",
        json={"email": email, "rol": rol},
        cookies=admin.cookies,
        headers=admin.write_headers,
    )
    return response.status


async def test_an_invitation_creates_the_user_and_a_second_one_adds_a_company(site: Site) -> None:
    first, second = await site.tenant(), await site.tenant()
    admin = await site.sign_in(await site.user(first, Role.ADMIN))
    email = f"nueva-{first.slug}@example.com"
    assert await _invite(site, first.slug, admin, email, "emisor") == 201
    message = await site.mailbox.wait_for(email)
    assert first.nombre in message["Subject"]
    path = link_in(message, "invitaciones")

    page = await site.call("GET", path)
    assert page.status == 200 and "emisor" in await page.text()
    assert await site.users.by_email(email) is None  # a GET accepts nothing

    accepted = await site.call("POST", path)
    assert accepted.status == 200, await accepted.text()
    assert [e["rol"] for e in (await accepted.json())["result"]["empresas"]] == ["emisor"]
    assert (await site.call("POST", path)).status == 410  # once

    # the same person, invited by the admin of another company (with a key: same table)
    key = await site.key(second, Role.ADMIN)
    invited = await site.call(
        "POST",
        f"/{second.slug}/usuarios/invitaciones",
        json={"email": email, "rol": "contador"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert invited.status == 201
    accepted = await site.call("POST", link_in(await site.mailbox.wait_for(email, 2), "invitaciones"))
    session = Session.of(accepted)
    me = await (await site.call("GET", "/auth/yo", cookies=session.cookies)).json()
    roles = {e["slug"]: e["rol"] for e in me["result"]["empresas"]}
    assert roles == {first.slug: "emisor", second.slug: "contador"}
    # one session, a different role in each company
    create = await site.call(
        "POST", f"/{second.slug}/de/create", json={}, cookies=session.cookies, headers=session.write_headers
    )
    assert create.status == 403
    create = await site.call(
        "POST", f"/{first.slug}/de/create", json={}, cookies=session.cookies, headers=session.write_headers
    )
    assert create.status == 400  # allowed; the empty body is then refused
    # a company the user does not belong to looks like one that does not exist
    third = await site.tenant()
    assert (await site.call("GET", f"/{third.slug}/test", cookies=session.cookies)).status == 404


async def test_invitation_input_and_expiry(site: Site) -> None:
    tenant = await site.tenant()
    admin = await site.sign_in(await site.user(tenant, Role.ADMIN))
    assert await _invite(site, tenant.slug, admin, "x@example.com", "jefe") == 400
    assert await _invite(site, tenant.slug, admin, "no-correo", "emisor") == 400
    token, _ = await site.users.create_link(
        INVITATION, "tarde@example.com", timedelta(seconds=-1), tenant_id=tenant.id, role=Role.EMISOR
    )
    assert (await site.call("POST", f"/auth/invitaciones/{token}")).status == 410
    assert await site.users.by_email("tarde@example.com") is None


async def test_only_admins_invite(site: Site) -> None:
    tenant = await site.tenant()
    for role in (Role.EMISOR, Role.CONTADOR):
        session = await site.sign_in(await site.user(tenant, role))
        assert await _invite(site, tenant.slug, session, "otro@example.com", "admin") == 403


async def test_list_change_role_and_remove_members(site: Site) -> None:
    tenant = await site.tenant()
    admin_user = await site.user(tenant, Role.ADMIN)
    member = await site.user(tenant, Role.EMISOR)
    admin = await site.sign_in(admin_user)
    base = f"/{tenant.slug}/usuarios"

    listed = await (await site.call("GET", base, cookies=admin.cookies)).json()
    assert {(m["email"], m["rol"]) for m in listed["result"]["items"]} == {
        (admin_user.email, "admin"),
        (member.email, "emisor"),
    }
    changed = await site.call(
        "PATCH",
        f"{base}/{member.id}",
        json={"rol": "contador"},
        cookies=admin.cookies,
        headers=admin.write_headers,
    )
    assert changed.status == 200
    assert await site.users.role_in(member.id, tenant.id) is Role.CONTADOR

    last_admin = await site.call(
        "PATCH",
        f"{base}/{admin_user.id}",
        json={"rol": "emisor"},
        cookies=admin.cookies,
        headers=admin.write_headers,
    )
    assert last_admin.status == 409
    assert (await last_admin.json())["code"] == "ULTIMO_ADMIN"

    member_session = await site.sign_in(member)
    assert (await site.call("GET", f"/{tenant.slug}/test", cookies=member_session.cookies)).status == 200
    removed = await site.call(
        "DELETE", f"{base}/{member.id}", cookies=admin.cookies, headers=admin.write_headers
    )
    assert removed.status == 200
    # removal takes effect on the member's very next request
    assert (await site.call("GET", f"/{tenant.slug}/test", cookies=member_session.cookies)).status == 404
    gone = await site.call(
        "DELETE", f"{base}/{member.id}", cookies=admin.cookies, headers=admin.write_headers
    )
    assert gone.status == 404
