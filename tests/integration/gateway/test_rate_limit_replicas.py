"""The per-API-key rate limit holds across gateway replicas: two `sifenflow serve gateway` processes
on one database draw from the same token bucket in PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import asyncpg
import pytest

from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Role
from sifenflow_common.tenants.repository import ApiKeyRepository, TenantRepository
from sifenflow_gateway.app import secret_box
from sifenflow_gateway.ratelimit import PgRateLimiter
from tests.integration.gateway.conftest import MASTER, gw_settings
from tests.integration.gateway.gateway_process import gateway_process
from tests.unit.gateway.samples import tenant_body, unique_ruc

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def new_key(pool: asyncpg.Pool) -> tuple[str, str]:
    settings = gw_settings()
    slug = f"t{uuid.uuid4().hex[:10]}"
    data, issues = parse_tenant_input(tenant_body(slug, ruc=unique_ruc()))
    assert data is not None, issues
    tenant = await TenantRepository(pool, secret_box(settings), settings.sim_base_url).create(data)
    _, token = await ApiKeyRepository(pool).create(tenant.id, Role.EMISOR, "test")
    return slug, token


async def test_two_gateway_processes_share_one_bucket_per_key(gw_dsn: str, gw_pool: asyncpg.Pool) -> None:
    slug, token = await new_key(gw_pool)
    _, other_token = await new_key(gw_pool)
    # burst 6, refill one token per 1000 s: per-process buckets would let 12 through
    env = {"MASTER_KEY": MASTER, "RATE_LIMIT_PER_SECOND": "0.001", "RATE_LIMIT_BURST": "6"}
    async with (
        gateway_process(gw_dsn, env) as first,
        gateway_process(gw_dsn, env) as second,
        aiohttp.ClientSession() as session,
    ):

        async def get(base: str, key: str) -> tuple[int, str | None]:
            headers = {"Authorization": f"Bearer {key}"}
            async with session.get(f"{base}/{slug}/test", headers=headers) as response:
                if response.status == 429:
                    assert (await response.json())["code"] == "LIMITE_DE_SOLICITUDES"
                return response.status, response.headers.get("Retry-After")

        # concurrent requests to both replicas: exactly the burst passes, wherever it lands
        outcomes = await asyncio.gather(*(get(base, token) for base in [first, second] * 6))
        statuses = [status for status, _ in outcomes]
        assert statuses.count(200) == 6 and statuses.count(429) == 6
        assert all(int(after or 0) >= 1 for status, after in outcomes if status == 429)
        assert [(await get(base, token))[0] for base in (first, second)] == [429, 429]
        # another key has its own bucket (its tenant is not this path's: 404 after the limit passed)
        other = f"{first}/{slug}/test"
        async with session.get(other, headers={"Authorization": f"Bearer {other_token}"}) as response:
            assert response.status == 404


async def test_the_shared_bucket_refills_at_the_configured_rate(gw_pool: asyncpg.Pool) -> None:
    limiter = PgRateLimiter(gw_pool, rate_per_second=1000.0, burst=3)
    key = f"k{uuid.uuid4().hex}"
    assert [await limiter.take(key) for _ in range(3)] == [0.0, 0.0, 0.0]
    slow = PgRateLimiter(gw_pool, rate_per_second=0.001, burst=3)
    empty = f"k{uuid.uuid4().hex}"
    assert [await slow.take(empty) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = await slow.take(empty)
    assert 900 < wait <= 1000  # one token at 0.001/s
    await asyncio.sleep(0.01)  # 1000/s: ten tokens' worth, capped at the burst
    assert [await limiter.take(key) for _ in range(3)] == [0.0, 0.0, 0.0]
