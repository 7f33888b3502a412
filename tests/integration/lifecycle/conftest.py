"""Real PostgreSQL (fresh migrated database per module) and RabbitMQ for the lifecycle tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from sifenflow_common.testing import pg
from tests.integration.lifecycle.support import FAST_WEBHOOKS, LifecycleStack, lifecycle_stack


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lc_dsn() -> AsyncIterator[str]:
    name = await pg.create_template(f"sifenflow_lc_{uuid.uuid4().hex[:10]}")
    yield pg.dsn_for(name)
    await pg.drop_database(name)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lc_pool(lc_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(lc_dsn, min_size=2, max_size=10)
    assert pool is not None
    yield pool
    await pool.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lc_stack(lc_dsn: str, lc_pool: asyncpg.Pool) -> AsyncIterator[LifecycleStack]:
    async with lifecycle_stack(lc_dsn, lc_pool, FAST_WEBHOOKS) as stack:
        yield stack
