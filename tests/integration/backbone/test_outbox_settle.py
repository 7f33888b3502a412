"""The in-process bus keeps RabbitMQ's guarantee on the real PostgreSQL: an outbox row stays until
every queue bound to its message finished the delivery, and a bus that stopped before that gets the
message again after ``requeue_unsettled``."""

from __future__ import annotations

import uuid
from typing import ClassVar

import pytest

from sifenflow_common.bus.inprocess import InProcessBus
from sifenflow_common.bus.ports import Unretryable
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.messages import Envelope, Event
from sifenflow_common.outbox.relay import OutboxRelay
from sifenflow_common.outbox.settle import OutboxSettler
from sifenflow_common.testing import eventually
from tests.backbone_support import Database

pytestmark = pytest.mark.integration


class Queued(Event):
    TYPE: ClassVar[str] = "test.settled"
    n: int


async def _rows(database: Database) -> list[bool]:
    rows = await database.pool.fetch("SELECT published_at IS NOT NULL AS published FROM outbox")
    return [r["published"] for r in rows]


async def test_rows_outlive_an_unfinished_delivery_and_are_delivered_again(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    envs = [Envelope.wrap(Queued(n=i), tenant_id=uuid.uuid4(), producer="t") for i in range(20)]
    await store.append("doc-settle", 0, envs)
    seen_a: list[int] = []
    seen_b: list[int] = []

    async def handled_by_a(env: Envelope) -> None:
        seen_a.append(env.payload["n"])

    async def never_by_b(env: Envelope) -> None:
        raise Unretryable("b cannot handle it now")  # parked: not finished

    first = InProcessBus(settler=(settler := OutboxSettler(database.pool)))
    await first.subscribe("a", [Queued.TYPE], handled_by_a)
    await first.subscribe("b", [Queued.TYPE], never_by_b)
    relay = OutboxRelay(database.pool, first)
    assert relay.keep_until_settled
    assert await relay.relay_once() == 20

    async def parked_all() -> None:
        assert len(await first.parked()) == 20 and len(seen_a) == 20

    await eventually(parked_all, timeout=10)
    await first.close()
    await settler.close()
    assert await _rows(database) == [True] * 20  # b never finished: the rows stay

    second_settler = OutboxSettler(database.pool)
    assert await second_settler.requeue_unsettled() == 20
    assert await _rows(database) == [False] * 20
    second = InProcessBus(settler=second_settler)

    async def handled_by_b(env: Envelope) -> None:
        seen_b.append(env.payload["n"])

    await second.subscribe("a", [Queued.TYPE], handled_by_a)
    await second.subscribe("b", [Queued.TYPE], handled_by_b)
    assert await OutboxRelay(database.pool, second).relay_once() == 20

    async def drained() -> None:
        await second_settler.flush()
        assert await _rows(database) == []

    await eventually(drained, timeout=10)
    assert sorted(seen_b) == list(range(20))
    await second.close()
    await second_settler.close()


async def test_without_a_settler_the_relay_deletes_on_publish(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    await store.append("doc-plain", 0, [Envelope.wrap(Queued(n=1), tenant_id=uuid.uuid4(), producer="t")])
    relay = OutboxRelay(database.pool, InProcessBus())
    assert not relay.keep_until_settled
    assert await relay.relay_once() == 1
    assert await _rows(database) == []
