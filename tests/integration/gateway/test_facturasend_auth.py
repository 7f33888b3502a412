"""Authentication and liveness as FacturaSend documents them, over real HTTP on real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from sifenflow_gateway.app import create_app, postgres_deps
from tests.integration.gateway.conftest import LiveGateway, bearer, gw_settings
from tests.unit.gateway.samples import factura

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_bare_api_key_without_scheme_is_accepted_like_bearer(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    assert token.startswith("api_key_")
    for headers in (bearer(token), {"Authorization": token}, {"Authorization": f"  {token} "}):
        resp = await live.client.get(f"/{tenant.slug}/test", headers=headers)
        assert resp.status == 200, headers
        assert (await resp.json())["result"]["tenant"] == tenant.slug


@pytest.mark.parametrize(
    "header",
    ["api_key_not-a-real-key", "Bearer", "Basic {token}", "Token {token}", "{token}x", "Bearer {token}x"],
)
async def test_anything_else_is_the_same_401(live: LiveGateway, header: str) -> None:
    tenant, token = await live.tenant()
    resp = await live.client.get(
        f"/{tenant.slug}/test", headers={"Authorization": header.format(token=token)}
    )
    assert resp.status == 401
    body = await resp.json()
    assert (body["success"], body["error"], body["code"]) == (False, "Invalid token", "TOKEN_INVALIDO")


async def test_bare_key_creates_a_document(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    resp = await live.client.post(
        f"/{tenant.slug}/de/create", json=factura(), headers={"Authorization": token}
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["deList"][0]["numero"] == "001-001-0000001"


async def test_get_test_answers_the_text_facturasend_clients_compare(live: LiveGateway) -> None:
    resp = await live.client.get("/test")
    assert resp.status == 200
    assert resp.content_type == "text/plain"
    assert await resp.text() == "FacturaSend funciona."


async def test_get_test_text_is_a_setting(gw_pool: Any) -> None:
    settings = gw_settings(test_text="FacturAPI funciona.")
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(settings, postgres_deps(gw_pool, settings)), host="127.0.0.1")
    )
    await client.start_server()
    try:
        resp = await client.get("/test")
        assert resp.status == 200 and await resp.text() == "FacturAPI funciona."
    finally:
        await client.close()
