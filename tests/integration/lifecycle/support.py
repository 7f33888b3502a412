"""A scripted webhook receiver on loopback and the lifecycle stack (store + notifier on real
PostgreSQL and RabbitMQ, gateway over real HTTP) used by the lifecycle integration tests."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import aio_pika
import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from sifenflow_common.bus.rabbit import PARKING_QUEUE
from sifenflow_common.bus.topology import Topology
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.messages.envelope import Envelope, Message
from sifenflow_common.runtime.service import ServiceRuntime
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Role, Tenant
from sifenflow_common.tenants.repository import ApiKeyRepository, TenantRepository
from sifenflow_common.testing.ports import free_port
from sifenflow_common.webhooks.repository import WebhookRepository
from sifenflow_common.webhooks.settings import WebhookSettings
from sifenflow_gateway.app import create_app, postgres_deps, secret_box
from sifenflow_gateway.consultas import SifenConsultas
from sifenflow_gateway.event_ledger import EventLedger
from sifenflow_gateway.lifecycle import LifecycleDeps
from sifenflow_gateway.settings import GatewaySettings
from sifenflow_notifier.handlers import SOURCE_TYPES
from sifenflow_notifier.service import build as build_notifier
from sifenflow_store.service import build as build_store
from tests.unit.gateway.samples import tenant_body, unique_ruc

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
MASTER = "lifecycle-master-key-0123456789abcdef"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers ``fail_first`` requests with 500, then 200; ``hang`` makes it never answer."""

    fail_first: int = 0
    hang: bool = False
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(Received(dict(request.headers), await request.read()))
        if self.hang:
            await asyncio.sleep(3600)
        if len(self.requests) <= self.fail_first:
            return web.Response(status=500, text="falla simulada")
        return web.Response(status=204)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


FAST_WEBHOOKS = WebhookSettings(
    allow_private_urls=True, timeout_s=1.0, base_delay_s=0.05, backoff=2.0, jitter=0.2, poll_interval_s=0.05
)


@dataclass
class LifecycleStack:
    client: TestClient[Any, Any]
    pool: asyncpg.Pool
    store: PostgresEventStore
    tenants: TenantRepository
    keys: ApiKeyRepository
    webhooks: WebhookRepository

    async def tenant(self, role: Role = Role.ADMIN) -> tuple[Tenant, str]:
        slug = f"lc{uuid.uuid4().hex[:10]}"
        data, issues = parse_tenant_input(tenant_body(slug, ruc=unique_ruc()))
        assert data is not None, issues
        tenant = await self.tenants.create(data)
        _, token = await self.keys.create(tenant.id, role, "test")
        return tenant, token

    async def emit(self, tenant: Tenant, stream: str, *messages: Message) -> list[Envelope]:
        """Append lifecycle events as a pipeline service would (event store + outbox)."""
        envelopes = [Envelope.wrap(m, tenant_id=tenant.id, producer="lifecycle-tests/1") for m in messages]
        async with self.store.transaction() as tx:
            version = await tx.stream_version(stream)
            await tx.append(stream, version, envelopes)
        return envelopes


async def delete_topology(
    topology: Topology, services: dict[str, tuple[str, ...]], retry_delays_ms: Sequence[int] = ()
) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        names = [topology.prefix + PARKING_QUEUE]
        for service, types in services.items():
            for message_type in types:
                queue = topology.queue(service, message_type)
                names += [queue, *(topology.retry_queue(queue, d) for d in set(retry_delays_ms))]
        for name in names:
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.queue_delete(name)
        for exchange in (topology.events_exchange, topology.commands_exchange):
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.exchange_delete(exchange)


@contextlib.asynccontextmanager
async def lifecycle_stack(
    dsn: str, pool: asyncpg.Pool, webhook_settings: WebhookSettings
) -> AsyncIterator[LifecycleStack]:
    prefix = f"lctest.{uuid.uuid4().hex[:8]}."
    base = Settings(
        database_url=dsn,
        amqp_url=AMQP_URL,
        bus_prefix=prefix,
        master_key=MASTER,
        http_port=0,
        poll_interval_s=0.02,
        log_level="WARNING",
        retry_base_delay_ms=50,
    )
    runtimes: list[ServiceRuntime] = []
    client: TestClient[Any, Any] | None = None
    try:
        for name, build in (
            ("store", build_store),
            ("notifier", partial(build_notifier, webhook_settings=webhook_settings)),
        ):
            runtime = ServiceRuntime(base.model_copy(update={"service_name": name}), build)
            await runtime.start()
            runtimes.append(runtime)
        gw = GatewaySettings(
            bus_prefix=prefix,  # the intake's outbox rows name the prefixed exchange
            master_key=MASTER,
            rate_limit_per_second=10_000.0,
            rate_limit_burst=10_000,
            resume_bulk_on_start=False,
        )
        box = secret_box(gw)
        webhooks = WebhookRepository(pool, box, max_age_s=webhook_settings.max_age_s)
        deps = dataclasses.replace(
            postgres_deps(pool, gw),
            lifecycle=LifecycleDeps(
                webhooks=webhooks,
                events=EventLedger(pool, base.topology, "gateway/test"),
                consultas=SifenConsultas(TenantRepository(pool, box, gw.sim_base_url)),
                webhook_settings=webhook_settings,
            ),
        )
        client = TestClient(TestServer(create_app(gw, deps), host="127.0.0.1"))
        await client.start_server()
        yield LifecycleStack(
            client,
            pool,
            PostgresEventStore(pool, base.topology),
            TenantRepository(pool, box, gw.sim_base_url),
            ApiKeyRepository(pool),
            webhooks,
        )
    finally:
        if client is not None:
            await client.close()
        for runtime in reversed(runtimes):
            await runtime.shutdown()
        await delete_topology(base.topology, {"notifier": SOURCE_TYPES}, base.retry_policy.delays_ms())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
