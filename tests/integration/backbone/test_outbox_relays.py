"""Several relays on one outbox: SKIP LOCKED gives each row to exactly one of them (style §7)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import ClassVar

import pytest

from sifenflow_common.bus.inprocess import InProcessBus
from sifenflow_common.bus.packing import PACK_HEADER
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.messages import Envelope, Event
from sifenflow_common.outbox.relay import OutboxRelay
from tests.backbone_support import Database

pytestmark = pytest.mark.integration


class Queued(Event):
    TYPE: ClassVar[str] = "test.queued"
    n: int


async def test_concurrent_relays_publish_every_row_once(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    tenant = uuid.uuid4()
    for b in range(12):
        await store.append(
            f"doc-{b}",
            0,
            [Envelope.wrap(Queued(n=b * 50 + i), tenant_id=tenant, producer="t") for i in range(50)],
        )
    bus = InProcessBus()
    relays = [OutboxRelay(database.pool, bus, batch_size=40) for _ in range(3)]

    async def drain(relay: OutboxRelay) -> None:
        published = 1
        while published:
            published = await relay.relay_once()

    await asyncio.gather(*(drain(r) for r in relays))
    counts = Counter(e.message_id for e in bus.published)
    assert len(counts) == 600 and set(counts.values()) == {1}
    assert sorted(e.payload["n"] for e in bus.published) == list(range(600))
    assert sum(1 for r in relays if r.published_total) >= 2  # the work was actually shared
    assert await database.pool.fetchval("SELECT count(*) FROM outbox") == 0  # published rows are deleted
    assert await OutboxRelay(database.pool, bus).lag_seconds() == 0


async def test_failed_publish_is_retried_later_with_the_error_recorded(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    [env] = await store.append("doc-x", 0, [Envelope.wrap(Queued(n=1), tenant_id=uuid.uuid4(), producer="t")])

    class DownBroker(InProcessBus):
        async def publish(self, envelope: Envelope) -> None:
            raise ConnectionError("broker unreachable")

    assert await OutboxRelay(database.pool, DownBroker()).relay_once() == 0
    row = await database.pool.fetchrow(
        "SELECT attempts, last_error, published_at, available_at > now() AS later FROM outbox"
    )
    assert row["attempts"] == 1 and "broker unreachable" in row["last_error"]
    assert row["published_at"] is None and row["later"]
    await database.pool.execute("UPDATE outbox SET available_at = now()")
    bus = InProcessBus()
    assert await OutboxRelay(database.pool, bus).relay_once() == 1
    assert [e.message_id for e in bus.published] == [env.message_id]


class RecordingPublisher(InProcessBus):
    """The in-process bus, keeping what the relay handed it per broker message."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[tuple[str, dict[str, object]]] = []

    async def publish_raw(
        self, exchange: str, routing_key: str, body: bytes, message_id: str, message_type: str, headers: dict
    ) -> None:  # type: ignore[override]
        self.messages.append((routing_key, dict(headers)))
        await super().publish_raw(exchange, routing_key, body, message_id, message_type, headers)


async def test_consecutive_rows_of_one_key_and_headers_go_out_as_packs_of_at_most_fifty(
    database: Database,
) -> None:
    """One lote/create writes fifty ``document.requested`` in one transaction: one broker message
    carries them (bus.packing), so the broker's cost is per lote, not per document."""
    store = PostgresEventStore(database.pool)
    tenant, other, request = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def queued(n: int, tenant_id: uuid.UUID = tenant) -> Envelope:  # one request: one correlation id
        return Envelope.wrap(Queued(n=n), tenant_id=tenant_id, producer="t", correlation_id=request)

    await store.append("doc-a", 0, [queued(i) for i in range(120)])
    await store.append("doc-b", 0, [queued(500, other)])  # other headers
    await store.append("doc-c", 0, [queued(600 + i) for i in range(3)])
    publisher = RecordingPublisher()
    assert await OutboxRelay(database.pool, publisher, batch_size=500).relay_once() == 124
    assert [h.get(PACK_HEADER) for _, h in publisher.messages] == [50, 50, 20, None, 3]
    assert sorted(e.payload["n"] for e in publisher.published) == [*range(120), 500, 600, 601, 602]
    assert len({e.message_id for e in publisher.published}) == 124
    assert await database.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def test_a_row_for_an_unknown_exchange_is_set_aside_and_the_others_go_out(database: Database) -> None:
    """Nothing lost: one row that can never be published (an exchange the bus does not have) must
    not hold back the rows after it, nor be retried for ever."""
    store = PostgresEventStore(database.pool)
    tenant = uuid.uuid4()
    sent = [
        e
        for n in range(3)
        for e in await store.append(
            f"doc-{n}", 0, [Envelope.wrap(Queued(n=n), tenant_id=tenant, producer="t")]
        )
    ]
    stray = sent[1].message_id
    await database.pool.execute("UPDATE outbox SET exchange = 'sifenflow.gone' WHERE message_id = $1", stray)
    bus = InProcessBus()
    relay = OutboxRelay(database.pool, bus)
    assert await relay.relay_once() == 2
    assert [e.payload["n"] for e in bus.published] == [0, 2]
    row = await database.pool.fetchrow(
        "SELECT published_at, available_at = 'infinity' AS aside, last_error"
        " FROM outbox WHERE message_id = $1",
        stray,
    )
    assert row["published_at"] is None and row["aside"]
    assert "UnroutableMessage" in row["last_error"] and "sifenflow.gone" in row["last_error"]
    assert await relay.relay_once() == 0  # never claimed again
    assert await relay.lag_seconds() == 0  # and not counted as lag
