"""Contract fixtures: the IntakeStore on the in-memory fake and on PostgreSQL; the live product for the
FacturaSend client contracts (responses, example corpus)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest
import pytest_asyncio

from sifenflow_common.crypto import SecretBox
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Tenant
from sifenflow_common.tenants.repository import TenantRepository
from sifenflow_gateway.adapters.postgres_intake import PgIntakeStore
from sifenflow_gateway.ports import IntakeStore
from sifenflow_gateway.sink import IntakeOnlySink
from tests.e2e.pipeline.stack import Stack, standalone_stack
from tests.integration.gateway.conftest import gw_dsn, gw_pool  # noqa: F401 - the same session database
from tests.unit.gateway.fakes import FakeDirectory, InMemoryIntakeStore
from tests.unit.gateway.samples import tenant_body, unique_ruc


@dataclass
class IntakeHarness:
    store: IntakeStore
    tenant: Tenant
    other: Tenant


async def _tenants(make: object) -> tuple[Tenant, Tenant]:
    out = []
    for _ in range(2):
        data, _ = parse_tenant_input(tenant_body(f"c{uuid.uuid4().hex[:10]}", ruc=unique_ruc()))
        assert data is not None
        out.append(await make(data))  # type: ignore[operator]
    return out[0], out[1]


@pytest_asyncio.fixture(loop_scope="session", params=["memory", "postgres"])
async def intake(
    request: pytest.FixtureRequest,
    gw_pool: asyncpg.Pool,  # noqa: F811 - the fixture imported above
) -> AsyncIterator[IntakeHarness]:
    kind = request.param
    if kind == "memory":
        directory = FakeDirectory()
        tenant, other = await _tenants(directory.create_tenant)
        yield IntakeHarness(InMemoryIntakeStore(), tenant, other)
    else:
        pool = gw_pool
        repo = TenantRepository(pool, SecretBox(["contract-master-key-0123456789"]), "http://sim")
        tenant, other = await _tenants(repo.create)
        yield IntakeHarness(PgIntakeStore(pool, IntakeOnlySink()), tenant, other)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The whole product as ``sifenflow run`` starts it (embedded PostgreSQL, in-process bus, SIFEN
    simulator, demo company), driven over HTTP like a FacturaSend client; one per session."""
    async with standalone_stack(tmp_path_factory.mktemp("facturasend-live")) as running:
        yield running
