"""run_service / the store service on real PostgreSQL and RabbitMQ: health endpoints, metrics,
relay + projection at work, graceful SIGTERM drain."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import ClassVar

import aiohttp
import pytest

from sifenflow_common.db.pool import create_pool
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.messages import Command, Envelope, Event, Message, document_stream
from sifenflow_common.messages.events import DocumentRequested
from sifenflow_common.readmodel.documents import get_by_id
from sifenflow_common.runtime.consumer import Append, Effects
from sifenflow_common.runtime.service import ServiceDeps, ServicePlan, ServiceRuntime
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.testing import eventually, pg
from sifenflow_common.testing.ports import free_port
from tests.backbone_support import AMQP_URL, DB_PREFIX, new_topology, open_database, start_rabbit

pytestmark = pytest.mark.integration


async def http_get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as resp:
        return resp.status, await resp.text()


async def test_store_service_migrates_relays_projects_and_stops_on_sigterm() -> None:
    name = await pg.create_database(DB_PREFIX)  # empty: the service migrates it
    topology = new_topology()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": pg.dsn_for(name),
        "AMQP_URL": AMQP_URL,
        "BUS_PREFIX": topology.prefix,
        "HTTP_PORT": str(port),
        "POLL_INTERVAL_S": "0.1",
        "LOG_LEVEL": "WARNING",
    }
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "sifenflow_store", env=env)
    probe = await start_rabbit(topology)
    seen: list[Envelope] = []

    async def on_requested(e: Envelope) -> None:
        seen.append(e)

    try:

        async def ready() -> bool:
            try:
                return (await http_get(port, "/readyz"))[0] == 200
            except aiohttp.ClientError:
                return False

        await eventually(ready, timeout=30, interval=0.1)
        assert (await http_get(port, "/healthz"))[0] == 200
        await probe.subscribe("probe", ["document.requested"], on_requested)

        pool = await create_pool(pg.dsn_for(name))
        try:
            tenant, doc = uuid.uuid4(), uuid.uuid4()
            requested = DocumentRequested(
                document_id=doc,
                document_type=1,
                establishment="001",
                expedition_point="001",
                number="0000001",
                request_sha256="ef" * 32,
            )
            await PostgresEventStore(pool, topology).append(
                document_stream(doc), 0, [Envelope.wrap(requested, tenant_id=tenant, producer="gateway/0")]
            )
            await eventually(lambda: [e.payload["document_id"] for e in seen] == [str(doc)], timeout=15)

            async def projected() -> bool:
                row = await get_by_id(pool, tenant, doc)
                return row is not None and row.status == "requested"

            await eventually(projected, timeout=20)

            async def metrics_show_it() -> bool:
                text = (await http_get(port, "/metrics"))[1]
                return (
                    "sifenflow_outbox_published_total 1.0" in text
                    and "sifenflow_projection_lag_events" in text
                )

            await eventually(metrics_show_it, timeout=15, interval=0.2)
        finally:
            await pool.close()

        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await probe.stop_consuming()
        await probe.delete_declared()
        await probe.close()
        await pg.drop_database(name)


class Work(Command):
    TYPE: ClassVar[str] = "test.work"
    doc: str


class Worked(Event):
    TYPE: ClassVar[str] = "test.worked"
    doc: str


async def test_stop_drains_in_flight_handler_then_acks(bb_template: str) -> None:
    topology = new_topology()
    started, release = asyncio.Event(), asyncio.Event()
    async with open_database(bb_template) as db:
        settings = Settings(
            database_url=db.dsn,
            amqp_url=AMQP_URL,
            bus_prefix=topology.prefix,
            service_name="drainer",
            http_port=0,
        )
        sender = await start_rabbit(topology)

        async def handle_work(env: Envelope, msg: Message) -> Effects:
            assert isinstance(msg, Work)
            started.set()
            await release.wait()  # slow work, outside the transaction
            return Effects(appends=[Append(document_stream(uuid.UUID(msg.doc)), 0, [Worked(doc=msg.doc)])])

        def build(_: Settings, deps: ServiceDeps) -> ServicePlan:
            deps.registry.register(Work)
            deps.registry.register(Worked)
            return ServicePlan(handlers={"test.work": handle_work})

        runtime = await ServiceRuntime(settings, build).start()
        try:
            assert runtime.port and (await http_get(runtime.port, "/readyz"))[0] == 200
            doc = uuid.uuid4()
            await sender.publish(Envelope.wrap(Work(doc=str(doc)), tenant_id=uuid.uuid4(), producer="t/1"))
            await asyncio.wait_for(started.wait(), 10)
            runtime.stop()
            stopping = asyncio.create_task(runtime.wait())
            await asyncio.sleep(0.05)
            assert not stopping.done()  # waiting for the in-flight handler
            release.set()
            await asyncio.wait_for(stopping, 20)
        finally:
            if not runtime.stop_event.is_set():
                await runtime.shutdown()
        store = PostgresEventStore(db.pool)
        assert [r.envelope.type for r in await store.read_stream(document_stream(doc))] == ["test.worked"]
        channel = await sender.connection.channel()  # type: ignore[union-attr]
        queue = await channel.declare_queue(f"{topology.prefix}drainer.test.work", passive=True)
        assert queue.declaration_result.message_count == 0  # acked, nothing left to redeliver
        await channel.close()
        await sender.delete_declared()
        await sender.close()


async def test_a_handler_past_the_grace_period_is_abandoned_and_its_message_redelivered(
    bb_template: str,
) -> None:
    """SHUTDOWN_TIMEOUT_S bounds the drain: a handler still running then is cancelled, the
    connection closes without its ack, and the broker hands the message to the next consumer."""
    topology = new_topology()
    stuck, never = asyncio.Event(), asyncio.Event()
    async with open_database(bb_template) as db:
        base = {
            "database_url": db.dsn,
            "amqp_url": AMQP_URL,
            "bus_prefix": topology.prefix,
            "service_name": "drainer",
            "http_port": 0,
        }
        sender = await start_rabbit(topology)
        handled: list[str] = []

        async def hang(env: Envelope, msg: Message) -> Effects:
            stuck.set()
            await never.wait()
            raise AssertionError("unreachable")

        async def finish(env: Envelope, msg: Message) -> Effects:
            assert isinstance(msg, Work)
            handled.append(msg.doc)
            return Effects(appends=[Append(document_stream(uuid.UUID(msg.doc)), 0, [Worked(doc=msg.doc)])])

        def plan(handler: Callable[[Envelope, Message], Awaitable[Effects]]) -> Callable[..., ServicePlan]:
            def build(_: Settings, deps: ServiceDeps) -> ServicePlan:
                deps.registry.register(Work)
                deps.registry.register(Worked)
                return ServicePlan(handlers={"test.work": handler})

            return build

        first = await ServiceRuntime(Settings(**base, shutdown_timeout_s=0.5), plan(hang)).start()
        try:
            doc = uuid.uuid4()
            await sender.publish(Envelope.wrap(Work(doc=str(doc)), tenant_id=uuid.uuid4(), producer="t/1"))
            await asyncio.wait_for(stuck.wait(), 10)
            first.stop()
            await asyncio.wait_for(first.wait(), 10)  # the grace (0.5 s), not the stuck handler
        finally:
            if not first.stop_event.is_set():
                await first.shutdown()
        second = await ServiceRuntime(Settings(**base), plan(finish)).start()
        try:
            await eventually(lambda: handled == [str(doc)], timeout=15)
        finally:
            second.stop()
            await second.wait()
        store = PostgresEventStore(db.pool)
        assert [r.envelope.type for r in await store.read_stream(document_stream(doc))] == ["test.worked"]
        await sender.delete_declared()
        await sender.close()
