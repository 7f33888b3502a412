"""/readyz answers 503 while the database or the broker cannot be reached, and 200 again once they
can: a worker's runtime and the gateway, each reaching the real PostgreSQL and RabbitMQ through a
TCP proxy that the test makes refuse connections (the orchestrator's readiness probe relies on it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from sifenflow_common.bus.rabbit import RabbitBus
from sifenflow_common.db.pool import create_pool
from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.runtime.service import ServiceDeps, ServicePlan, ServiceRuntime
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.testing import eventually, pg
from sifenflow_common.testing.tcpproxy import TcpProxy
from sifenflow_gateway.app import create_app, postgres_deps
from sifenflow_gateway.settings import GatewaySettings
from tests.backbone_support import AMQP_URL, DB_PREFIX, new_topology

pytestmark = pytest.mark.integration


def _through(url: str, proxy: TcpProxy) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


@pytest_asyncio.fixture(loop_scope="function")
async def proxies() -> AsyncIterator[tuple[str, TcpProxy, TcpProxy]]:
    name = await pg.create_database(DB_PREFIX)
    pg_proxy = await TcpProxy("127.0.0.1", urlsplit(pg.dsn_for(name)).port or 5432).start()
    amqp_proxy = await TcpProxy("127.0.0.1", urlsplit(AMQP_URL).port or 5672).start()
    try:
        yield name, pg_proxy, amqp_proxy
    finally:
        await pg_proxy.close()
        await amqp_proxy.close()
        await pg.drop_database(name)


async def _readyz(port: int) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/readyz") as resp:
        return resp.status, await resp.json()


async def _handler(_: Envelope) -> None:
    return None


async def test_worker_readiness_follows_the_database_and_the_broker(
    proxies: tuple[str, TcpProxy, TcpProxy],
) -> None:
    name, pg_proxy, amqp_proxy = proxies
    settings = Settings(
        service_name="readiness-probe",
        database_url=_through(pg.dsn_for(name), pg_proxy),
        amqp_url=_through(AMQP_URL, amqp_proxy),
        bus_prefix=new_topology().prefix,
        http_port=0,
        db_pool_min=1,
        db_pool_max=2,
    )

    async def build(settings: Settings, deps: ServiceDeps) -> ServicePlan:
        await deps.bus.subscribe("readiness-probe", ["probe.ping"], _handler)
        return ServicePlan()

    runtime = await ServiceRuntime(settings, build).start()
    try:
        assert runtime.port is not None
        port = runtime.port
        assert await _readyz(port) == (200, {"status": "ready", "problems": []})

        pg_proxy.refusing = True
        pg_proxy.drop_connections()
        assert await _readyz(port) == (503, {"status": "not ready", "problems": ["postgres"]})
        pg_proxy.refusing = False

        async def ready() -> bool:
            return (await _readyz(port))[0] == 200

        await eventually(ready, timeout=20, interval=0.2)

        amqp_proxy.refusing = True
        amqp_proxy.drop_connections()

        async def broker_missed() -> bool:
            status, body = await _readyz(port)
            return status == 503 and body["problems"] == ["amqp"]

        await eventually(broker_missed, timeout=20, interval=0.1)
        amqp_proxy.refusing = False
        await eventually(ready, timeout=30, interval=0.2)
    finally:
        if runtime.deps is not None and isinstance(runtime.deps.bus, RabbitBus):
            await runtime.deps.bus.delete_declared()
        await runtime.shutdown()


async def test_gateway_readiness_follows_the_database(proxies: tuple[str, TcpProxy, TcpProxy]) -> None:
    name, pg_proxy, _ = proxies
    settings = GatewaySettings(master_key="readiness-master-key-0123456789", resume_bulk_on_start=False)
    pool = await create_pool(_through(pg.dsn_for(name), pg_proxy), min_size=1, max_size=2)
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings, postgres_deps(pool, settings))))
    await client.start_server()
    try:
        healthy = await client.get("/readyz")
        assert (healthy.status, await healthy.json()) == (200, {"status": "ready", "problems": []})
        pg_proxy.refusing = True
        pg_proxy.drop_connections()
        down = await client.get("/readyz")
        assert (down.status, await down.json()) == (503, {"status": "not ready", "problems": ["postgres"]})
        assert (await client.get("/healthz")).status == 200  # alive: the orchestrator must not restart it
        pg_proxy.refusing = False
        assert (await client.get("/readyz")).status == 200
    finally:
        await client.close()
        await pool.close()
