"""The authorization table (sifenflow_gateway.authz.ACCESS) covers every route of the gateway's
router, and for every route and every role a request over HTTP, on real PostgreSQL, is either
allowed (anything but 403) or refused with 403 ROL_NO_AUTORIZADO, exactly as the table says."""

from __future__ import annotations

import re
import uuid

import pytest

from sifenflow_common.tenants.model import Role
from sifenflow_gateway.authz import ACCESS, MASTER, PUBLIC, SESSION
from sifenflow_gateway.routes import ROUTES
from tests.integration.gateway.conftest import LiveGateway, bearer

pytestmark = pytest.mark.integration

# A value for each path parameter: the tenant's own slug, otherwise ids that exist nowhere.
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
    "tenant_id": str(uuid.uuid4()),
    "key_id": str(uuid.uuid4()),
    "token": "desconocido",
    "user_id": str(uuid.uuid4()),
}


def _url(path: str, slug: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: slug if m.group(1) == "tenant" else PARAMS[m.group(1)], path)


@pytest.mark.asyncio(loop_scope="session")
async def test_every_route_of_the_router_has_an_entry(live: LiveGateway) -> None:
    routes = {(r.method, r.resource.canonical) for r in live.client.app.router.routes() if r.resource}
    missing = sorted(routes - ACCESS.keys())
    assert not missing, f"routes without an entry in sifenflow_gateway.authz.ACCESS: {missing}"
    declared = {(r.method, r.path): r.auth for r in ROUTES}
    for key, auth in declared.items():  # the OpenAPI document's security says the same
        expected = auth if auth in (PUBLIC, MASTER, SESSION) else "apiKey"
        assert (ACCESS[key] if isinstance(ACCESS[key], str) else "apiKey") == expected, key


@pytest.mark.asyncio(loop_scope="session")
async def test_every_route_and_role_is_allowed_or_refused_as_the_table_says(live: LiveGateway) -> None:
    tenant, _ = await live.tenant()
    tokens = {role: (await live.keys.create(tenant.id, role, f"authz-{role}"))[1] for role in Role}
    checked = 0
    for route in live.client.app.router.routes():
        if route.resource is None:
            continue
        access = ACCESS[(route.method, route.resource.canonical)]
        url = _url(route.resource.canonical, tenant.slug)
        if route.method == "POST" and url.startswith("/invoicing/"):
            url += f"?company_id={tenant.slug}"
        for role, token in tokens.items():
            response = await live.client.request(route.method, url, headers=bearer(token), data=b"{}")
            text = await response.text()
            what = f"{route.method} {route.resource.canonical} as {role}: {response.status} {text[:200]}"
            if access == PUBLIC:
                assert response.status != 403, what
            elif access in (MASTER, SESSION):
                assert response.status == 401, what  # an API key is neither the master key nor a session
            elif role in access:
                assert response.status not in (403, 500), what  # 503: SIFEN not running here
            else:
                assert response.status == 403 and "ROL_NO_AUTORIZADO" in text, what
            checked += 1
    assert checked >= 3 * len(ROUTES)


@pytest.mark.asyncio(loop_scope="session")
async def test_a_read_only_key_cannot_send_a_document_by_email(live: LiveGateway) -> None:
    tenant, token = await live.tenant(Role.LECTURA)
    body = {"cdc": "0" * 44, "email": "cualquiera@example.com"}
    response = await live.client.post(f"/{tenant.slug}/de/email", json=body, headers=bearer(token))
    assert response.status == 403
    assert (await response.json())["code"] == "ROL_NO_AUTORIZADO"
