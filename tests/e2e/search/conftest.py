"""A pipeline stack (every service its own process, real PostgreSQL + RabbitMQ + simulator) with a
third emisor in SET's ``test`` environment whose SIFEN is the simulator, and a read-only key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
import pytest_asyncio

from sifenflow_common.sifen.test_ca import ensure_test_ca
from sifenflow_standalone.demo import DEMO_SLUG, demo_tenant_body
from tests.e2e.pipeline.stack import Stack, Tenant, processes_stack

TEST_SLUG = "prueba"  # emits in the test environment
READER = "lectura"  # demo's read-only key


async def _key(stack: Stack, session: aiohttp.ClientSession, tenant_id: str, role: str) -> str:
    admin = {"Authorization": f"Bearer {stack.master_key}"}
    async with session.post(
        f"{stack.url}/admin/tenants/{tenant_id}/apikeys", json={"role": role}, headers=admin
    ) as r:
        assert r.status == 201, await r.text()
        return str((await r.json())["result"]["token"])


async def _add_tenants(stack: Stack, session: aiohttp.ClientSession) -> None:
    admin = {"Authorization": f"Bearer {stack.master_key}"}
    body = dict(demo_tenant_body(ensure_test_ca(stack.ca_dir), slug=TEST_SLUG), environment="test")
    async with session.post(f"{stack.url}/admin/tenants", json=body, headers=admin) as r:
        assert r.status == 201, await r.text()
        tenant_id = (await r.json())["result"]["id"]
    # SET's test host is out of reach here: this emisor's SIFEN is the simulator.
    conn = await asyncpg.connect(stack.database_url)
    try:
        await conn.execute(
            "UPDATE tenants SET sifen_base_url = $1 WHERE id = $2::uuid", stack.sim_url, tenant_id
        )
    finally:
        await conn.close()
    stack.tenants[TEST_SLUG] = Tenant(TEST_SLUG, await _key(stack, session, tenant_id, "admin"))
    async with session.get(f"{stack.url}/admin/tenants/{DEMO_SLUG}", headers=admin) as r:
        assert r.status == 200, await r.text()
        demo_id = (await r.json())["result"]["id"]
    stack.tenants[READER] = Tenant(DEMO_SLUG, await _key(stack, session, demo_id, "lectura"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with processes_stack(
        tmp_path_factory.mktemp("search-e2e"), name="search", after_provision=_add_tenants
    ) as running:
        yield running
