"""One bus contract, run on the in-process bus and on real RabbitMQ (style §9)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import ClassVar

import pytest
import pytest_asyncio

from sifenflow_common.bus.inprocess import InProcessBus
from sifenflow_common.bus.packing import PACK_HEADER, pack
from sifenflow_common.bus.ports import Bus, DeliveryAttempt, Unretryable, UnroutableMessage, current_attempt
from sifenflow_common.messages import Command, Envelope, Event
from sifenflow_common.outbox.writer import amqp_headers
from sifenflow_common.testing import eventually
from tests.backbone_support import FAST_RETRY, new_topology, start_rabbit

pytestmark = pytest.mark.contract

TENANT = uuid.UUID("00000000-0000-4000-8000-000000000002")


class Pinged(Event):
    TYPE: ClassVar[str] = "test.pinged"
    n: int


class DoPing(Command):
    TYPE: ClassVar[str] = "test.do_ping"
    n: int


def wrap(message: Event | Command) -> Envelope:
    return Envelope.wrap(message, tenant_id=TENANT, producer="tests/1")


@pytest_asyncio.fixture(loop_scope="function", params=["inprocess", "rabbit"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    topology = new_topology()
    if request.param == "inprocess":
        mem = InProcessBus(topology, retry=FAST_RETRY, prefetch=4)
        yield mem
        await mem.close()
        return
    rabbit = await start_rabbit(topology)
    try:
        yield rabbit
    finally:
        await rabbit.stop_consuming()
        await rabbit.delete_declared()
        await rabbit.close()


async def test_event_fans_out_to_every_subscribed_service(bus: Bus) -> None:
    seen: dict[str, list[int]] = {"kude": [], "notifier": []}

    async def handler_for(service: str, e: Envelope) -> None:
        seen[service].append(e.payload["n"])

    for service in seen:
        await bus.subscribe(service, ["test.pinged"], lambda e, s=service: handler_for(s, e))  # type: ignore[misc]
    for n in range(5):
        await bus.publish(wrap(Pinged(n=n)))
    await eventually(lambda: all(sorted(v) == [0, 1, 2, 3, 4] for v in seen.values()))


async def test_command_reaches_its_one_queue_with_envelope_intact(bus: Bus) -> None:
    got: list[Envelope] = []

    async def handle(e: Envelope) -> None:
        got.append(e)

    await bus.subscribe("builder", ["test.do_ping"], handle)
    sent = wrap(DoPing(n=7))
    await bus.publish(sent)
    await eventually(lambda: got == [sent])


async def test_failing_handler_is_retried_then_succeeds(bus: Bus) -> None:
    calls: Counter[uuid.UUID] = Counter()
    done: list[int] = []

    async def flaky(e: Envelope) -> None:
        calls[e.message_id] += 1
        if calls[e.message_id] < 2:
            raise RuntimeError("transient")
        done.append(e.payload["n"])

    await bus.subscribe("signer", ["test.pinged"], flaky)
    sent = wrap(Pinged(n=1))
    await bus.publish(sent)
    await eventually(lambda: done == [1])
    assert calls[sent.message_id] == 2
    assert await bus.parked() == []


async def test_always_failing_handler_is_parked_after_n_attempts_and_requeued(bus: Bus) -> None:
    attempts: Counter[uuid.UUID] = Counter()
    healed = asyncio.Event()
    handled: list[uuid.UUID] = []

    async def broken(e: Envelope) -> None:
        attempts[e.message_id] += 1
        if not healed.is_set():
            raise ValueError("CDC_INVALIDO: dígito verificador")
        handled.append(e.message_id)

    await bus.subscribe("sender", ["test.do_ping"], broken)
    sent = wrap(DoPing(n=3))
    await bus.publish(sent)
    queue = f"{bus.topology.prefix}sender.test.do_ping"  # type: ignore[attr-defined]

    async def parked_one() -> bool:
        parked = await bus.parked()
        return len(parked) == 1

    await eventually(parked_one, timeout=10)
    [parked] = await bus.parked()
    assert parked.queue == queue
    assert parked.envelope == sent
    assert parked.attempts == FAST_RETRY.max_attempts
    assert "CDC_INVALIDO" in parked.error
    assert attempts[sent.message_id] == FAST_RETRY.max_attempts
    assert len(await bus.parked()) == 1  # listing leaves them parked

    healed.set()
    assert await bus.requeue_parked() == 1
    await eventually(lambda: handled == [sent.message_id])
    assert await bus.parked() == []


async def publish_pack(bus: Bus, envelopes: list[Envelope]) -> None:
    """What the outbox relay does with consecutive rows of one key and headers (bus.packing)."""
    exchange, key = bus.topology.route(envelopes[0])  # type: ignore[attr-defined]
    headers = {**amqp_headers(envelopes[0]), PACK_HEADER: len(envelopes)}
    body = pack([e.to_bytes() for e in envelopes])
    await bus.publish_raw(exchange, key, body, f"pack:{envelopes[0].message_id}", key, headers)  # type: ignore[attr-defined]


async def test_every_envelope_of_a_pack_reaches_every_subscribed_service(bus: Bus) -> None:
    seen: dict[str, list[Envelope]] = {"kude": [], "notifier": []}

    async def handler_for(service: str, e: Envelope) -> None:
        seen[service].append(e)

    for service in seen:
        await bus.subscribe(service, ["test.pinged"], lambda e, s=service: handler_for(s, e))  # type: ignore[misc]
    sent = [wrap(Pinged(n=n)) for n in range(5)]
    await publish_pack(bus, sent)
    order = {e.message_id: e.payload["n"] for e in sent}
    await eventually(lambda: all(len(v) == 5 for v in seen.values()))
    for got in seen.values():
        assert sorted(got, key=lambda e: order[e.message_id]) == sent  # each envelope intact, once


async def test_a_failing_envelope_of_a_pack_is_retried_until_it_succeeds(bus: Bus) -> None:
    """The others may be delivered again with it (RabbitMQ retries the whole message): consumers
    are idempotent by message id, as for any redelivery."""
    calls: Counter[int] = Counter()
    done: set[int] = set()

    async def flaky(e: Envelope) -> None:
        n = e.payload["n"]
        calls[n] += 1
        if n == 2 and calls[n] < 2:
            raise RuntimeError("transient")
        done.add(n)

    await bus.subscribe("signer", ["test.pinged"], flaky)
    await publish_pack(bus, [wrap(Pinged(n=n)) for n in range(5)])
    await eventually(lambda: done == {0, 1, 2, 3, 4})
    assert calls[2] == 2
    assert await bus.parked() == []


async def test_a_pack_whose_envelope_always_fails_is_parked_and_requeued(bus: Bus) -> None:
    healed = asyncio.Event()
    done: set[int] = set()

    async def broken(e: Envelope) -> None:
        if e.payload["n"] == 3 and not healed.is_set():
            raise ValueError("CDC_INVALIDO: dígito verificador")
        done.add(e.payload["n"])

    await bus.subscribe("sender", ["test.pinged"], broken)
    await publish_pack(bus, [wrap(Pinged(n=n)) for n in range(5)])

    async def parked() -> bool:
        return len(await bus.parked()) == 1

    await eventually(parked, timeout=10)
    assert done == {0, 1, 2, 4}
    [entry] = await bus.parked()
    assert entry.message_type == "test.pinged" and "CDC_INVALIDO" in entry.error
    healed.set()
    assert await bus.requeue_parked() == 1
    await eventually(lambda: done == {0, 1, 2, 3, 4})
    assert await bus.parked() == []


async def test_handler_sees_its_delivery_attempt(bus: Bus) -> None:
    """Both buses tell the handler which attempt it runs (current_attempt()), so it can record a
    final outcome on the last one instead of being parked; a requeued message starts again at 1."""
    seen: list[DeliveryAttempt | None] = []

    async def always_fails(e: Envelope) -> None:
        seen.append(current_attempt())
        raise RuntimeError("still down")

    await bus.subscribe("mailer", ["test.pinged"], always_fails)
    await bus.publish(wrap(Pinged(n=9)))

    async def parked_one() -> bool:
        return len(await bus.parked()) == 1

    await eventually(parked_one, timeout=10)
    n = FAST_RETRY.max_attempts
    assert seen == [DeliveryAttempt(i, n) for i in range(1, n + 1)]
    assert [a.last for a in seen if a] == [False] * (n - 1) + [True]
    assert current_attempt() is None  # only inside a delivery
    assert await bus.requeue_parked() == 1
    await eventually(lambda: len(seen) == n + 1)
    assert seen[-1] == DeliveryAttempt(1, n)


async def test_unretryable_failure_is_parked_without_retries(bus: Bus) -> None:
    calls: list[int] = []

    async def hopeless(e: Envelope) -> None:
        calls.append(e.payload["n"])
        raise Unretryable("PAYLOAD_INVALIDO")

    await bus.subscribe("builder", ["test.pinged"], hopeless)
    await bus.publish(wrap(Pinged(n=5)))

    async def parked() -> bool:
        return len(await bus.parked()) == 1

    await eventually(parked, timeout=10)
    [p] = await bus.parked()
    assert p.attempts == 1 and "PAYLOAD_INVALIDO" in p.error and calls == [5]


async def test_stop_consuming_waits_for_in_flight_handler(bus: Bus) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    finished: list[int] = []

    async def slow(e: Envelope) -> None:
        started.set()
        await release.wait()
        finished.append(e.payload["n"])

    await bus.subscribe("mailer", ["test.pinged"], slow)
    await bus.publish(wrap(Pinged(n=9)))
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(bus.stop_consuming())
    await asyncio.sleep(0)
    assert not stopping.done()
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert finished == [9]


async def test_a_message_for_an_unknown_exchange_is_refused_without_disturbing_other_publishes(
    bus: Bus,
) -> None:
    """An outbox row naming an exchange the broker lacks must fail alone: on RabbitMQ, publishing
    it would close the channel shared by every publish in flight (AMQP 404)."""
    got: list[int] = []

    async def handler(e: Envelope) -> None:
        got.append(e.payload["n"])

    await bus.subscribe("signer", ["test.pinged"], handler)
    good = [wrap(Pinged(n=n)) for n in range(3)]
    stray = wrap(Pinged(n=99))
    exchange, key = bus.topology.route(good[0])  # type: ignore[attr-defined]

    async def publish(e: Envelope, to: str) -> None:
        await bus.publish_raw(to, key, e.to_bytes(), str(e.message_id), key, amqp_headers(e))

    results = await asyncio.gather(
        publish(good[0], exchange),
        publish(stray, "sifenflow.no-such-exchange"),
        publish(good[1], exchange),
        return_exceptions=True,
    )
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], UnroutableMessage)
    await publish(good[2], exchange)
    await eventually(lambda: sorted(got) == [0, 1, 2])
