"""Backbone benchmark on the real PostgreSQL and RabbitMQ of this machine.

Prints events/s appended (single and batched), messages/s relayed from the outbox with publisher
confirms, and messages/s handled end to end by a no-op consumer (inbox claim + append + outbox in
one transaction), each with p50/p95/p99 latency. Run: ``python bench/bench_backbone.py``.
Targets (2 cores): ≥5,000 events/s batched, ≥3,000 msgs/s relayed, ≥1,500 msgs/s end to end.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from typing import ClassVar

from sifenflow_common.bus.rabbit import RabbitBus
from sifenflow_common.bus.topology import Topology
from sifenflow_common.db.pool import create_pool
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.messages import Envelope, Event, Message, MessageRegistry
from sifenflow_common.outbox.relay import OutboxRelay
from sifenflow_common.runtime.consumer import Append, Consumer, Effects
from sifenflow_common.testing import pg

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
TENANT = uuid.uuid4()
RELAYS = int(os.environ.get("BENCH_RELAYS", "2"))
RELAY_BATCH = int(os.environ.get("BENCH_RELAY_BATCH", "500"))


class Ticked(Event):
    TYPE: ClassVar[str] = "bench.ticked"
    n: int


class Tocked(Event):
    TYPE: ClassVar[str] = "bench.tocked"
    n: int


def pct(samples: list[float]) -> str:
    if not samples:
        return "-"
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {q[49] * 1000:.2f} ms · p95 {q[94] * 1000:.2f} ms · p99 {q[98] * 1000:.2f} ms"


_cpu_mark = [time.process_time()]


def report(label: str, count: int, seconds: float, latencies: list[float], unit: str) -> None:
    # CPU of this process per item: what the figure would be with a core of its own; the machine
    # is shared (Postgres, RabbitMQ, other work), so wall-clock rates move with its load.
    cpu_us = (time.process_time() - _cpu_mark[0]) / count * 1e6
    _cpu_mark[0] = time.process_time()
    print(
        f"{label:<46} {count / seconds:>9,.0f} {unit}/s  ({count} in {seconds:.2f} s; {pct(latencies)}; "
        f"client CPU {cpu_us:.0f} µs/{unit[:-1] if unit.endswith('s') else unit})"
    )


def tick(n: int) -> Envelope:
    return Envelope.wrap(Ticked(n=n), tenant_id=TENANT, producer="bench/1")


def mark() -> None:
    _cpu_mark[0] = time.process_time()


async def bench_appends(store: PostgresEventStore) -> None:
    # single: one event per append, one transaction each; 8 concurrent writers
    n, writers = 2000, 8
    lat: list[float] = []

    async def writer(w: int) -> None:
        for i in range(n // writers):
            t = time.perf_counter()
            await store.append(f"single-{w}", i, [tick(i)])
            lat.append(time.perf_counter() - t)

    mark()
    t0 = time.perf_counter()
    await asyncio.gather(*(writer(w) for w in range(writers)))
    report("append single event (8 writers)", n, time.perf_counter() - t0, lat, "events")

    # batched: 100 events per append (one transaction), 4 concurrent writers, outbox rows included
    batch, batches, writers = 100, 100, 4
    lat = []
    envs = [[tick(i) for i in range(batch)] for _ in range(batches)]

    async def batch_writer(w: int) -> None:
        for b in range(w, batches, writers):
            t = time.perf_counter()
            await store.append(f"batch-{b}", 0, envs[b])
            lat.append(time.perf_counter() - t)

    mark()
    t0 = time.perf_counter()
    await asyncio.gather(*(batch_writer(w) for w in range(writers)))
    report(
        "append batched 100/tx (4 writers, +outbox)", batch * batches, time.perf_counter() - t0, lat, "events"
    )


async def bench_relay(pool: object, bus: RabbitBus, total: int) -> None:
    relays = [OutboxRelay(pool, bus, batch_size=RELAY_BATCH) for _ in range(RELAYS)]  # type: ignore[arg-type]
    lat: list[float] = []

    async def run(relay: OutboxRelay) -> None:
        while True:
            t = time.perf_counter()
            n = await relay.relay_once()
            if n == 0:
                return
            lat.append((time.perf_counter() - t) / n)

    mark()
    t0 = time.perf_counter()
    await asyncio.gather(*(run(r) for r in relays))
    sent = sum(r.published_total for r in relays)
    assert sent == total, (sent, total)
    report(
        f"relay outbox → RabbitMQ, confirms ({RELAYS} relays)", sent, time.perf_counter() - t0, lat, "msgs"
    )


async def bench_consumer(pool: object, store: PostgresEventStore, bus: RabbitBus, total: int) -> None:
    registry = MessageRegistry([Ticked, Tocked])
    lat: list[float] = []
    done = asyncio.Event()
    handled = 0

    async def on_ticked(env: Envelope, msg: Message) -> Effects:
        assert isinstance(msg, Ticked)
        return Effects(appends=[Append(f"tock-{env.message_id}", 0, [Tocked(n=msg.n)])])

    consumer = Consumer(
        store, {"bench.ticked": on_ticked}, consumer="noop", producer="bench/1", registry=registry
    )

    async def timed(env: Envelope) -> None:
        nonlocal handled
        t = time.perf_counter()
        await consumer(env)
        lat.append(time.perf_counter() - t)
        handled += 1
        if handled >= total:
            done.set()

    mark()
    t0 = time.perf_counter()
    await bus.subscribe("noop", ["bench.ticked"], timed)
    await asyncio.wait_for(done.wait(), 300)
    report("consume: inbox + append + outbox (prefetch 64)", handled, time.perf_counter() - t0, lat, "msgs")


async def main() -> None:
    print(
        f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared with Postgres, RabbitMQ, other work)"
    )
    name = await pg.create_template(f"sifenflow_bb_bench_{os.getpid()}")
    topology = Topology(prefix=f"bbbench.{uuid.uuid4().hex[:6]}.")
    pool = await create_pool(pg.dsn_for(name), min_size=4, max_size=24)
    bus = RabbitBus(AMQP_URL, topology=topology, prefetch=64, connection_name="bench")
    await bus.start()
    try:
        store = PostgresEventStore(pool, topology)
        # the consumer's queue exists before the relay publishes, so every message is stored
        channel = await bus.connection.channel()  # type: ignore[union-attr]
        queue = await channel.declare_queue(
            topology.queue("noop", "bench.ticked"), durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(topology.events_exchange, routing_key="bench.ticked")
        bus.declared_queues.add(queue.name)
        await bench_appends(store)
        pending = await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        # counted before relaying: the relay deletes what it published
        ticked = await pool.fetchval("SELECT count(*) FROM outbox WHERE routing_key = 'bench.ticked'")
        await bench_relay(pool, bus, pending)
        await bench_consumer(pool, store, bus, ticked)
        await channel.close()
    finally:
        await bus.stop_consuming()
        await bus.delete_declared()
        await bus.close()
        await pool.close()
        await pg.drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
