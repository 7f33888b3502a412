"""Outbox relay → real RabbitMQ → consumer with inbox: nothing lost, nothing applied twice (style §7)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

import pytest

from sifenflow_common.bus.rabbit import RabbitBus
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.messages import Envelope, Event, Message, MessageRegistry
from sifenflow_common.outbox.relay import OutboxRelay
from sifenflow_common.runtime.consumer import Append, Consumer, Effects
from sifenflow_common.testing import eventually
from sifenflow_common.testing.tcpproxy import TcpProxy
from tests.backbone_support import AMQP_URL, Database, close_broker_connections, new_topology, start_rabbit

pytestmark = pytest.mark.integration

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000004")


class Requested(Event):
    TYPE: ClassVar[str] = "test.requested"
    n: int


class Handled(Event):
    TYPE: ClassVar[str] = "test.handled"
    n: int


REGISTRY = MessageRegistry([Requested, Handled])


class RelayCrash(Exception):
    pass


class CrashAfterPublish(OutboxRelay):
    """Publishes (with confirms) and dies before marking the rows: the worst moment."""

    async def _mark_published(self, conn: object, ids: Sequence[int]) -> None:  # type: ignore[override]
        raise RelayCrash


def make_consumer(store: PostgresEventStore, deliveries: Counter[uuid.UUID]) -> Consumer:
    async def on_requested(env: Envelope, msg: Message) -> Effects:
        assert isinstance(msg, Requested)
        return Effects(appends=[Append(f"result-{msg.n}", 0, [Handled(n=msg.n)])])

    consumer = Consumer(
        store, {"test.requested": on_requested}, consumer="worker", producer="worker/1", registry=REGISTRY
    )

    async def counting(env: Envelope) -> None:
        try:
            await consumer(env)
        finally:
            deliveries[env.message_id] += 1  # counted once the delivery was fully handled

    counting.types = consumer.types  # type: ignore[attr-defined]
    return counting  # type: ignore[return-value]


async def cleanup(*buses: RabbitBus) -> None:
    for bus in buses:
        await bus.stop_consuming()
    await buses[0].delete_declared()
    for bus in buses:
        await bus.close()


async def results(db: Database) -> list[int]:
    rows = await db.pool.fetch(
        "SELECT stream_name, count(*) AS n FROM events WHERE category = 'result' GROUP BY 1"
    )
    assert all(r["n"] == 1 for r in rows), "a result stream got more than one event"
    return sorted(int(r["stream_name"].split("-")[1]) for r in rows)


async def test_relay_crash_after_publish_delivers_twice_applies_once(database: Database) -> None:
    topology = new_topology()
    store = PostgresEventStore(database.pool, topology)
    bus = await start_rabbit(topology)
    try:
        deliveries: Counter[uuid.UUID] = Counter()
        await bus.subscribe("worker", ["test.requested"], make_consumer(store, deliveries))
        [sent] = await store.append(
            "request-1", 0, [Envelope.wrap(Requested(n=1), tenant_id=TENANT, producer="t")]
        )

        # The broker is shared: should another client's test drop connections meanwhile, a failed
        # publish is simply retried (the row stays pending), so loop until each step happened.
        async def crashed_after_publishing() -> bool:
            try:
                await CrashAfterPublish(database.pool, bus).relay_once()
            except RelayCrash:
                return True
            await database.pool.execute("UPDATE outbox SET available_at = now()")
            return False

        await eventually(crashed_after_publishing, timeout=20)
        # The consumer may already have handled the first copy (its Handled event is a second
        # outbox row), so every check below names the request row by its message id.
        pending = "SELECT count(*) FROM outbox WHERE message_id = $1"  # deleted once published
        assert await database.pool.fetchval(pending, sent.message_id) == 1
        relay = OutboxRelay(database.pool, bus)

        async def published_again() -> bool:  # the restarted relay sends it again
            await relay.relay_once()
            await database.pool.execute("UPDATE outbox SET available_at = now() WHERE published_at IS NULL")
            return await database.pool.fetchval(pending, sent.message_id) == 0

        await eventually(published_again, timeout=20)

        await eventually(lambda: deliveries[sent.message_id] == 2, timeout=20)
        assert await results(database) == [1]
        assert await database.pool.fetchval("SELECT count(*) FROM processed_messages") == 1
        handled = "SELECT count(*) FROM events WHERE type = 'test.handled'"
        assert await database.pool.fetchval(handled) == 1
        # ^ one Handled event: the duplicate delivery appended nothing (and queued nothing).
    finally:
        await cleanup(bus)


@pytest.mark.parametrize("drop", ["network", "broker"])
async def test_rabbitmq_connection_dropped_mid_run_loses_nothing(database: Database, drop: str) -> None:
    """``network``: a proxy resets the TCP connections (no goodbye); ``broker``: RabbitMQ closes
    them itself (``rabbitmqctl close_connection``, only this test's connections, by name)."""
    topology = new_topology()
    store = PostgresEventStore(database.pool, topology)
    proxy = await TcpProxy("127.0.0.1", 5672).start()
    url = f"amqp://guest:guest@127.0.0.1:{proxy.port}/" if drop == "network" else AMQP_URL
    relay_bus = await start_rabbit(topology, url=url)
    consumer_bus = await start_rabbit(topology, url=url)
    stop = asyncio.Event()
    relay = OutboxRelay(database.pool, relay_bus, batch_size=50, poll_interval=0.05)
    relaying = asyncio.create_task(relay.run(stop))
    drops = 0
    try:
        deliveries: Counter[uuid.UUID] = Counter()
        await consumer_bus.subscribe("worker", ["test.requested"], make_consumer(store, deliveries))
        total = 300
        for n in range(total):
            await store.append(
                f"request-{n}", 0, [Envelope.wrap(Requested(n=n), tenant_id=TENANT, producer="t")]
            )
            if n in (100, 200):
                await eventually(lambda: len(deliveries) > 20, timeout=10)

                # after the first drop the buses must be back before the second one is cut
                def both_connected() -> bool:
                    back = relay_bus.ready and consumer_bus.ready
                    return back and (drop != "network" or proxy.open_pairs >= 2)

                await eventually(both_connected, timeout=20)
                if drop == "network":
                    cut = proxy.drop_connections()
                else:
                    cut = await close_broker_connections(f"{topology.prefix}bus")
                assert cut >= 2  # both buses lose their broker connection
                drops += 1
        await eventually(lambda: relay_bus.ready and consumer_bus.ready, timeout=20)

        async def all_applied() -> bool:
            return await results(database) == list(range(total))

        await eventually(all_applied, timeout=60, interval=0.2)
        assert await database.pool.fetchval("SELECT count(*) FROM processed_messages") == total
        assert drops == 2
    finally:
        stop.set()
        await relaying
        await cleanup(relay_bus, consumer_bus)
        await proxy.close()
