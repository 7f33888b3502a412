"""One event-store contract, run on the in-memory fake and on real PostgreSQL (style §9)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import ClassVar

import pytest
import pytest_asyncio

from sifenflow_common.eventstore import START, ConcurrencyError, DuplicateMessage, EventStore, RecordedEvent
from sifenflow_common.eventstore.memory import InMemoryEventStore
from sifenflow_common.eventstore.ports import AppendRequest
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.messages import Envelope, Event
from sifenflow_common.testing import eventually
from tests.backbone_support import open_database

pytestmark = pytest.mark.contract

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000001")


class Noted(Event):
    TYPE: ClassVar[str] = "test.noted"
    n: int


def env(n: int = 0) -> Envelope:
    return Envelope.wrap(Noted(n=n), tenant_id=TENANT, producer="tests/1")


@dataclass
class Harness:
    store: EventStore
    outbox_ids: Callable[[], Awaitable[set[uuid.UUID]]]


@pytest_asyncio.fixture(loop_scope="function", params=["memory", "postgres"])
async def harness(request: pytest.FixtureRequest, bb_template: str) -> AsyncIterator[Harness]:
    if request.param == "memory":
        mem = InMemoryEventStore()

        async def mem_outbox() -> set[uuid.UUID]:
            return {e.message_id for e in mem.outbox}

        yield Harness(mem, mem_outbox)
        return
    async with open_database(bb_template) as db:

        async def pg_outbox() -> set[uuid.UUID]:
            return {r["message_id"] for r in await db.pool.fetch("SELECT message_id FROM outbox")}

        yield Harness(PostgresEventStore(db.pool), pg_outbox)


async def test_append_then_read_stream_in_version_order(harness: Harness) -> None:
    events = [env(i) for i in range(3)]
    stored = await harness.store.append("document-1", 0, events)
    assert [e.stream_version for e in stored] == [1, 2, 3]
    read = await harness.store.read_stream("document-1")
    assert [r.envelope for r in read] == stored
    assert [r.envelope.payload["n"] for r in read] == [0, 1, 2]
    assert await harness.store.stream_version("document-1") == 3
    assert await harness.store.stream_version("document-2") == 0
    assert [r.stream_version for r in await harness.store.read_stream("document-1", from_version=3)] == [3]


async def test_wrong_expected_version_is_a_concurrency_error(harness: Harness) -> None:
    await harness.store.append("document-1", 0, [env(), env()])
    with pytest.raises(ConcurrencyError):
        await harness.store.append("document-1", 1, [env()])  # behind
    with pytest.raises(ConcurrencyError):
        await harness.store.append("document-1", 5, [env()])  # ahead: no gaps allowed
    with pytest.raises(ConcurrencyError):
        await harness.store.append("document-1", 0, [env()])  # "new stream" but it exists
    assert await harness.store.stream_version("document-1") == 2


async def test_concurrent_appends_at_same_version_exactly_one_wins(harness: Harness) -> None:
    await harness.store.append("document-1", 0, [env()])
    results = await asyncio.gather(
        *(harness.store.append("document-1", 1, [env(i)]) for i in range(8)), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(e, ConcurrencyError) for e in losers) and len(losers) == 7
    assert await harness.store.stream_version("document-1") == 2


async def test_reused_message_id_is_a_duplicate(harness: Harness) -> None:
    first = env()
    await harness.store.append("document-1", 0, [first])
    with pytest.raises(DuplicateMessage):
        await harness.store.append("document-2", 0, [first])
    with pytest.raises(DuplicateMessage):
        await harness.store.append(
            "document-3", 0, [env(), env().model_copy(update={"message_id": first.message_id})]
        )
    assert await harness.store.stream_version("document-2") == 0


async def test_transaction_is_atomic_claim_append_outbox(harness: Harness) -> None:
    command = env(99).model_copy(update={"kind": "command", "type": "test.do"})
    incoming = uuid.uuid4()

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with harness.store.transaction() as tx:
            assert await tx.claim("svc", incoming)
            await tx.append("document-1", 0, [env(1)])
            await tx.enqueue([command])
            raise Boom
    assert await harness.store.stream_version("document-1") == 0
    assert await harness.outbox_ids() == set()

    async with harness.store.transaction() as tx:
        assert await tx.claim("svc", incoming)
        assert not await tx.claim("svc", incoming)  # same transaction
        stored = await tx.append("document-1", 0, [env(1)])
        await tx.enqueue([command])
    assert await harness.outbox_ids() == {stored[0].message_id, command.message_id}

    async with harness.store.transaction() as tx:
        assert not await tx.claim("svc", incoming)  # committed before
        assert await tx.claim("other-svc", incoming)  # inbox is per consumer


async def test_claim_many_claims_each_message_once(harness: Harness) -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with harness.store.transaction() as tx:
        assert await tx.claim("svc", a)
    async with harness.store.transaction() as tx:
        assert await tx.claim_many("svc", [a, b, c, b]) == {b, c}
    async with harness.store.transaction() as tx:
        assert await tx.claim_many("svc", [a, b, c]) == set()
        assert await tx.claim_many("other-svc", [a]) == {a}


async def test_append_many_writes_every_stream_in_one_go_or_none(harness: Harness) -> None:
    await harness.store.append("document-2", 0, [env(1)])
    async with harness.store.transaction() as tx:
        with pytest.raises(ConcurrencyError):  # document-2 is at version 1, not 0
            await tx.append_many(
                [AppendRequest("document-1", 0, [env(2)]), AppendRequest("document-2", 0, [env(3)])]
            )
        # the transaction stays usable and nothing of the failed call remains in it
        stored = await tx.append_many(
            [AppendRequest("document-1", 0, [env(4), env(5)]), AppendRequest("document-2", 1, [env(6)])]
        )
    assert [(e.stream, e.stream_version) for e in stored] == [
        ("document-1", 1),
        ("document-1", 2),
        ("document-2", 2),
    ]
    assert await harness.outbox_ids() >= {e.message_id for e in stored}
    async with harness.store.transaction() as tx:
        histories = await tx.read_streams(["document-1", "document-2", "document-9"])
    assert [r.stream_version for r in histories["document-1"]] == [1, 2]
    assert [r.envelope.message_id for r in histories["document-2"]][1] == stored[2].message_id
    assert histories["document-9"] == []
    async with harness.store.transaction() as tx:
        with pytest.raises(DuplicateMessage):
            await tx.append_many([AppendRequest("document-3", 0, [stored[0]])])


async def test_append_without_publish_skips_outbox(harness: Harness) -> None:
    await harness.store.append("document-1", 0, [env()], publish=False)
    assert await harness.outbox_ids() == set()


async def test_read_all_follows_global_order_and_filters_categories(harness: Harness) -> None:
    await harness.store.append("document-a", 0, [env(1), env(2)])
    await harness.store.append("lote-b", 0, [env(3)])
    await harness.store.append("document-a", 2, [env(4)])

    async def all_visible() -> list[RecordedEvent]:
        # Postgres shows a commit once every older transaction of the cluster ended (style §5).
        found = await harness.store.read_all(START, limit=100)
        assert [r.envelope.payload["n"] for r in found] == [1, 2, 3, 4]
        return found

    everything = await eventually(all_visible, timeout=20)
    assert [p.position for p in everything] == sorted(p.position for p in everything)
    docs = await harness.store.read_all(START, limit=100, categories=["document"])
    assert [r.envelope.payload["n"] for r in docs] == [1, 2, 4]
    after_first_two = await harness.store.read_all(everything[1].position, limit=1)
    assert [r.envelope.payload["n"] for r in after_first_two] == [3]
