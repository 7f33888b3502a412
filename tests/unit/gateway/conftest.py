"""Gateway app on fakes, served by aiohttp's in-process test server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Role, Tenant
from sifenflow_gateway.adapters.catalogs import EngineCatalogs
from sifenflow_gateway.adapters.engine import EngineAdapter
from sifenflow_gateway.app import create_app
from sifenflow_gateway.deps import GatewayDeps
from sifenflow_gateway.settings import GatewaySettings
from tests.unit.gateway.fakes import FakeDirectory, FakeStatusReader, InMemoryIntakeStore
from tests.unit.gateway.samples import tenant_body

MASTER = "unit-test-master-key-0123456789"


@dataclass
class Harness:
    client: TestClient[Any, Any]
    directory: FakeDirectory
    intake: InMemoryIntakeStore
    status: FakeStatusReader
    tenant: Tenant
    other: Tenant
    token: str  # emisor key of `tenant`
    other_token: str  # emisor key of `other`
    reader_token: str  # lectura key of `tenant`

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}


async def make_harness(**settings_overrides: Any) -> Harness:
    directory = FakeDirectory()
    intake = InMemoryIntakeStore()
    status = FakeStatusReader()
    data, issues = parse_tenant_input(tenant_body("acme"))
    assert data is not None, issues
    tenant = await directory.create_tenant(data)
    data2, _ = parse_tenant_input(tenant_body("otra"))
    assert data2 is not None
    other = await directory.create_tenant(data2)
    _, token = await directory.create_key(tenant.id, Role.EMISOR, "")
    _, other_token = await directory.create_key(other.id, Role.EMISOR, "")
    _, reader = await directory.create_key(tenant.id, Role.LECTURA, "")
    settings = GatewaySettings(
        master_key=MASTER, sync_wait_seconds=0.1, artifact_wait_seconds=0.1, **settings_overrides
    )
    deps = GatewayDeps(
        directory=directory, intake=intake, status=status, engine=EngineAdapter(), catalogs=EngineCatalogs()
    )
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings, deps)))
    await client.start_server()
    return Harness(client, directory, intake, status, tenant, other, token, other_token, reader)


@pytest_asyncio.fixture(loop_scope="function")
async def gw() -> AsyncIterator[Harness]:
    harness = await make_harness()
    yield harness
    await harness.client.close()
