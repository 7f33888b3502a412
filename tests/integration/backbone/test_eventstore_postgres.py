"""Event store on real PostgreSQL: racing appends, late commits, exactly-once subscriptions (style §5-§6)."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import ClassVar

import asyncpg
import pytest

from sifenflow_common.eventstore import ConcurrencyError, DuplicateMessage, RecordedEvent
from sifenflow_common.eventstore.postgres import PostgresEventStore, append_on
from sifenflow_common.eventstore.subscription import Subscription, rebuild
from sifenflow_common.messages import Envelope, Event
from sifenflow_common.testing import eventually
from tests.backbone_support import Database, follow

pytestmark = pytest.mark.integration

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000003")


class Counted(Event):
    TYPE: ClassVar[str] = "test.counted"
    n: int


def env(n: int = 0) -> Envelope:
    return Envelope.wrap(Counted(n=n), tenant_id=TENANT, producer="tests/1")


class CountingProjection:
    """Not idempotent on purpose: applying an event twice, or skipping one, breaks its invariant."""

    name = "counting"
    categories = ("document",)
    tables = ("bb_counts",)

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        last = await conn.fetchval("SELECT last_version FROM bb_counts WHERE stream = $1", event.stream)
        if (last or 0) != event.stream_version - 1:
            raise AssertionError(f"{event.stream}: got v{event.stream_version} after v{last}")
        await conn.execute(
            "INSERT INTO bb_counts (stream, n, last_version, total) VALUES ($1, 1, $2, $3)"
            " ON CONFLICT (stream) DO UPDATE SET n = bb_counts.n + 1, last_version = $2,"
            " total = bb_counts.total + $3",
            event.stream,
            event.stream_version,
            event.envelope.payload["n"],
        )


async def create_counts(pool: asyncpg.Pool) -> None:
    await pool.execute(
        "CREATE TABLE bb_counts (stream text PRIMARY KEY, n int NOT NULL, last_version int NOT NULL,"
        " total bigint NOT NULL)"
    )


async def counts(pool: asyncpg.Pool) -> list[tuple[str, int, int, int]]:
    rows = await pool.fetch("SELECT stream, n, last_version, total FROM bb_counts ORDER BY stream")
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_two_racing_appends_at_same_version_one_concurrency_error(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    await store.append("document-r", 0, [env()])
    first = await asyncpg.connect(database.dsn)
    try:
        tx = first.transaction()
        await tx.start()
        await append_on(first, "document-r", 1, [env(1)])  # holds the (stream, 2) index entry
        second = asyncio.create_task(store.append("document-r", 1, [env(2)]))

        async def second_is_blocked() -> bool:
            waiting = await database.pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'",
                database.name,
            )
            return bool(waiting)

        await eventually(second_is_blocked)
        await tx.commit()
        with pytest.raises(ConcurrencyError):
            await second
    finally:
        await first.close()
    assert [r.envelope.payload["n"] for r in await store.read_stream("document-r")] == [0, 1]


async def test_duplicate_message_id_is_reported_and_caller_transaction_survives(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    done = env(5)
    await store.append("document-d", 0, [done])
    async with store.transaction() as tx:
        with pytest.raises(DuplicateMessage):
            await tx.append("document-e", 0, [done])
        await tx.append("document-e", 0, [env(6)])  # savepoint: the transaction is still usable
    assert await store.stream_version("document-e") == 1


async def test_late_commit_is_never_skipped(database: Database) -> None:
    """Transaction A takes a lower position but commits after B: the subscription waits for A."""
    await create_counts(database.pool)
    store = PostgresEventStore(database.pool)
    sub = Subscription(database.pool, CountingProjection())
    slow = await asyncpg.connect(database.dsn)
    try:
        tx = slow.transaction()
        await tx.start()
        [a] = await append_on(slow, "document-a", 0, [env(1)])
        [b] = await store.append("document-b", 0, [env(2)])
        positions = await database.pool.fetch("SELECT message_id, global_position FROM events")
        assert len(positions) == 1  # A is not visible yet, B is
        a_pos = await slow.fetchval("SELECT global_position FROM events WHERE message_id = $1", a.message_id)
        assert a_pos < positions[0]["global_position"]  # a reader tailing global_position would skip A
        assert await sub.catch_up() == 0  # B is above the horizon while A is open
        await tx.commit()
    finally:
        await slow.close()
    await follow(sub, 2)
    assert await counts(database.pool) == [("document-a", 1, 1, 1), ("document-b", 1, 1, 2)]
    assert b.stream_version == 1


async def test_subscription_killed_at_random_points_equals_rebuild(database: Database) -> None:
    await create_counts(database.pool)
    store = PostgresEventStore(database.pool)
    rng = random.Random(5)
    streams = [f"document-{i}" for i in range(12)]
    versions = dict.fromkeys(streams, 0)

    async def writer() -> None:
        for n in range(400):
            stream = rng.choice(streams)
            batch = [env(n) for _ in range(rng.randint(1, 3))]
            await store.append(stream, versions[stream], batch)
            versions[stream] += len(batch)
            if n % 20 == 0:
                await asyncio.sleep(0)

    writing = asyncio.create_task(writer())
    kills = 0
    while not writing.done() or kills < 15:
        stop = asyncio.Event()
        task = asyncio.create_task(Subscription(database.pool, CountingProjection(), batch_size=7).run(stop))
        await asyncio.sleep(rng.uniform(0.001, 0.03))
        task.cancel()  # kill it mid-batch: the batch transaction rolls back with the checkpoint
        await asyncio.gather(task, return_exceptions=True)
        kills += 1
    await writing
    sub = Subscription(database.pool, CountingProjection(), batch_size=50)

    async def caught_up() -> bool:
        await sub.catch_up()
        return await sub.lag() == 0

    await eventually(caught_up, timeout=10)
    followed = await counts(database.pool)
    assert sum(n for _, n, _, _ in followed) == sum(versions.values())
    assert {s: v for s, _, v, _ in followed} == {s: v for s, v in versions.items() if v}

    assert await rebuild(database.pool, CountingProjection()) == sum(versions.values())
    assert await counts(database.pool) == followed
