"""Real PostgreSQL (127.0.0.1:5432) for the gateway: a fresh database per session, migrated, and the
gateway served over real HTTP on loopback. Fails loudly when PostgreSQL is not there."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Role, Tenant
from sifenflow_common.tenants.repository import ApiKeyRepository, TenantRepository
from sifenflow_common.testing import pg
from sifenflow_gateway.app import create_app, postgres_deps, secret_box
from sifenflow_gateway.settings import GatewaySettings
from tests.unit.gateway.samples import tenant_body, unique_ruc

MASTER = "integration-master-key-0123456789"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def gw_dsn() -> AsyncIterator[str]:
    """A database migrated with `sifenflow_common.db.migrate` (every numbered migration)."""
    name = await pg.create_template(f"sifenflow_gw_{uuid.uuid4().hex[:10]}")
    yield pg.dsn_for(name)
    await pg.drop_database(name)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def gw_pool(gw_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(gw_dsn, min_size=2, max_size=20)
    assert pool is not None
    yield pool
    await pool.close()


def gw_settings(**overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "master_key": MASTER,
        "sync_wait_seconds": 0.2,
        "artifact_wait_seconds": 0.2,
        "rate_limit_per_second": 10_000.0,
        "rate_limit_burst": 10_000,
        "resume_bulk_on_start": False,  # the session database holds other tests' batches
    }
    values.update(overrides)
    return GatewaySettings(**values)


@dataclass
class LiveGateway:
    client: TestClient[Any, Any]
    pool: asyncpg.Pool
    tenants: TenantRepository
    keys: ApiKeyRepository

    async def tenant(self, role: Role = Role.EMISOR, **body: Any) -> tuple[Tenant, str]:
        slug = f"t{uuid.uuid4().hex[:10]}"
        data, issues = parse_tenant_input({**tenant_body(slug, ruc=unique_ruc()), **body})
        assert data is not None, issues
        tenant = await self.tenants.create(data)
        _, token = await self.keys.create(tenant.id, role, "test")
        return tenant, token


@pytest_asyncio.fixture(loop_scope="session")
async def live(gw_pool: asyncpg.Pool) -> AsyncIterator[LiveGateway]:
    settings = gw_settings()
    app = create_app(settings, postgres_deps(gw_pool, settings))
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    tenants = TenantRepository(gw_pool, secret_box(settings), settings.sim_base_url)
    yield LiveGateway(client, gw_pool, tenants, ApiKeyRepository(gw_pool))
    await client.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
