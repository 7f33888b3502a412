"""Fixtures shared by the backbone's contract and integration tests (real PostgreSQL and RabbitMQ;
they fail loudly when a server is missing, never skip)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import pytest
import pytest_asyncio

from sifenflow_common.bus.rabbit import RabbitBus
from sifenflow_common.bus.topology import RetryPolicy, Topology
from sifenflow_common.db.pool import create_pool
from sifenflow_common.eventstore.subscription import Subscription
from sifenflow_common.testing import eventually, pg

AMQP_URL = os.environ.get("SIFENFLOW_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
DB_PREFIX = "sifenflow_bb_"
T = TypeVar("T")


def _run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    # Session fixtures may be first requested from inside a running loop: use a loop of their own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def bb_template() -> Iterator[str]:
    name = _run_in_thread(pg.create_template(f"{DB_PREFIX}tpl_{os.getpid()}"))
    yield name
    _run_in_thread(pg.drop_database(name))


@dataclass
class Database:
    name: str
    dsn: str
    pool: asyncpg.Pool


@pytest_asyncio.fixture(loop_scope="function")
async def database(bb_template: str) -> AsyncIterator[Database]:
    async with open_database(bb_template) as db:
        yield db


@asynccontextmanager
async def open_database(template: str) -> AsyncIterator[Database]:
    """A fresh migrated database (cloned from ``template``) with a pool; dropped on exit."""
    name = await pg.create_database(DB_PREFIX, template=template)
    dsn = pg.dsn_for(name)
    pool = await create_pool(dsn, min_size=1, max_size=8, application_name="bb-tests")
    try:
        yield Database(name, dsn, pool)
    finally:
        await pool.close()
        await pg.drop_database(name)


def new_topology() -> Topology:
    return Topology(prefix=f"bbtest.{uuid.uuid4().hex[:8]}.")


FAST_RETRY = RetryPolicy(max_attempts=3, base_delay_ms=50, backoff=2.0)


async def start_rabbit(
    topology: Topology, retry: RetryPolicy = FAST_RETRY, prefetch: int = 10, url: str = AMQP_URL
) -> RabbitBus:
    bus = RabbitBus(
        url,
        topology=topology,
        retry=retry,
        prefetch=prefetch,
        connection_name=f"{topology.prefix}bus",
        reconnect_interval=0.2,
    )
    return await bus.start()


async def follow(sub: Subscription, expected: int, within_s: float = 20.0) -> None:
    """Run ``sub`` until it applied ``expected`` events. Other sessions on this cluster may hold
    the xmin horizon back for a moment (by design, style §5), so one pass may not reach them all."""
    applied = 0

    async def reached() -> bool:
        nonlocal applied
        applied += await sub.catch_up()
        assert applied <= expected, f"applied {applied} > {expected}"
        return applied == expected

    await eventually(reached, timeout=within_s, interval=0.05)


async def _rabbitmqctl(*args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        "rabbitmqctl", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {err.decode()}")
    return out.decode()


async def close_broker_connections(connection_name: str) -> int:
    """Have RabbitMQ close the connections whose client named itself ``connection_name`` (other
    users of the broker are left alone); returns how many were closed."""
    listing = await _rabbitmqctl("list_connections", "pid", "client_properties", "-q", "--no-table-headers")
    pids = [
        line.split("\t", 1)[0]
        for line in listing.splitlines()
        if f'{{"connection_name","{connection_name}"}}' in line
    ]
    for pid in pids:
        await _rabbitmqctl("close_connection", pid, "sifenflow test: connection dropped on purpose")
    return len(pids)
