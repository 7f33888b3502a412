"""Roles are enforced identically for users and API keys: for every company route of the router
and every role, a user with that role (session cookie + CSRF token) and a key with that role are
both allowed or both refused with 403, as the authorization table says."""

from __future__ import annotations

import re
import uuid

import pytest

from sifenflow_common.tenants.model import Role
from sifenflow_gateway.authz import ACCESS
from tests.integration.users.conftest import Site

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

PARAMS = {
    "lote_id": "999999",
    "cdc": "0" * 44,
    "id": "999999",
    "batch_id": str(uuid.uuid4()),
    "departamento": "1",
    "distrito": "1",
    "kind": "invoice",
    "ruc": "80069563-1",
    "webhook_id": str(uuid.uuid4()),
    "delivery_id": str(uuid.uuid4()),
    "user_id": str(uuid.uuid4()),
}


def _url(path: str, slug: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: slug if m.group(1) == "tenant" else PARAMS[m.group(1)], path)


async def test_users_and_keys_of_each_role_get_the_same_answer_from_the_table(site: Site) -> None:
    tenant = await site.tenant()
    keys = {role: await site.key(tenant, role) for role in Role}
    sessions = {role: await site.sign_in(await site.user(tenant, role)) for role in Role}
    compared = 0
    for route in site.client.app.router.routes():
        if route.resource is None:
            continue
        allowed = ACCESS[(route.method, route.resource.canonical)]
        if not isinstance(allowed, frozenset):
            continue  # public, master-key and own-session routes have no company role
        url = _url(route.resource.canonical, tenant.slug)
        if url.startswith("/invoicing/"):
            url += f"?company_id={tenant.slug}"
        for role in Role:
            session = sessions[role]
            by_key = await site.call(
                route.method, url, headers={"Authorization": f"Bearer {keys[role]}"}, data=b"{}"
            )
            by_user = await site.call(
                route.method, url, cookies=session.cookies, headers=session.write_headers, data=b"{}"
            )
            what = f"{route.method} {url} as {role}: key {by_key.status}, user {by_user.status}"
            refused = (by_key.status == 403, by_user.status == 403)
            assert refused == ((role not in allowed),) * 2, what
            assert 401 not in (by_key.status, by_user.status) and 500 not in (
                by_key.status,
                by_user.status,
            ), what
            compared += 1
    assert compared >= 3 * 40


async def test_the_read_role_is_contador_and_lectura_is_its_alias(site: Site) -> None:
    assert Role("lectura") is Role.CONTADOR
    tenant = await site.tenant()
    # a key stored with the legacy name still works, with the contador role
    record, token = await site.keys.create(tenant.id, Role.CONTADOR, "legacy")
    await site.pool.execute("UPDATE api_keys SET role = 'lectura' WHERE id = $1", record.id)
    answer = await site.call("GET", f"/{tenant.slug}/test", headers={"Authorization": f"Bearer {token}"})
    assert (await answer.json())["result"]["role"] == "contador"
    refused = await site.call(
        "POST", f"/{tenant.slug}/de/create", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status == 403
