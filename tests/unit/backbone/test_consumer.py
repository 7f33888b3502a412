"""The consumer pattern on fakes (in-memory store and bus): inbox dedupe, appends with expected
version + outbox in one commit, re-decision on a concurrency conflict (style §7, §10.3)."""

from __future__ import annotations

import uuid
from typing import ClassVar

import pytest

from sifenflow_common.bus.inprocess import InProcessBus
from sifenflow_common.bus.topology import RetryPolicy
from sifenflow_common.eventstore.memory import InMemoryEventStore
from sifenflow_common.messages import Command, Envelope, Event, Message, MessageRegistry
from sifenflow_common.runtime.consumer import Append, Consumer, Effects
from sifenflow_common.runtime.metrics import Metrics
from sifenflow_common.testing import eventually

pytestmark = pytest.mark.unit

TENANT = uuid.uuid4()


class Sign(Command):
    TYPE: ClassVar[str] = "test.sign"
    doc: str


class Signed(Event):
    TYPE: ClassVar[str] = "test.signed"
    doc: str


class Notify(Command):
    TYPE: ClassVar[str] = "test.notify"
    doc: str


REGISTRY = MessageRegistry([Sign, Signed, Notify])


def make(
    store: InMemoryEventStore, calls: list[str], metrics: Metrics | None = None, precheck: bool = False
) -> Consumer:
    async def handle_sign(env: Envelope, msg: Message) -> Effects:
        assert isinstance(msg, Sign)
        calls.append(msg.doc)
        stream = f"document-{msg.doc}"
        version = await store.stream_version(stream)  # reload: decide on the current state
        return Effects(appends=[Append(stream, version, [Signed(doc=msg.doc)])], send=[Notify(doc=msg.doc)])

    return Consumer(
        store,
        {"test.sign": handle_sign},
        consumer="signer",
        producer="signer/1",
        registry=REGISTRY,
        metrics=metrics,
        precheck=precheck,
    )


def sign(doc: str) -> Envelope:
    return Envelope.wrap(Sign(doc=doc), tenant_id=TENANT, producer="tests/1")


async def test_effects_commit_together_and_duplicates_are_dropped() -> None:
    store, calls, metrics = InMemoryEventStore(), [], Metrics("signer")
    consumer = make(store, calls, metrics)
    incoming = sign("a")
    await consumer(incoming)
    await consumer(incoming)  # redelivery: the handler runs again, the inbox drops its effects
    assert calls == ["a", "a"]
    [signed] = await store.read_stream("document-a")
    assert signed.envelope.type == "test.signed"
    assert signed.envelope.causation_id == incoming.message_id
    assert signed.envelope.correlation_id == incoming.correlation_id
    assert signed.envelope.tenant_id == TENANT
    assert [e.type for e in store.outbox] == ["test.signed", "test.notify"]
    assert metrics.duplicates.labels("signer", "signer", "test.sign")._value.get() == 1
    assert metrics.handled.labels("signer", "signer", "test.sign")._value.get() == 1


async def test_precheck_skips_the_slow_work_of_a_redelivery() -> None:
    store, calls = InMemoryEventStore(), []
    consumer = make(store, calls, precheck=True)
    incoming = sign("p")
    await consumer(incoming)
    await consumer(incoming)
    assert calls == ["p"]
    assert len(await store.read_stream("document-p")) == 1


async def test_concurrency_conflict_makes_the_handler_decide_again() -> None:
    store, calls = InMemoryEventStore(), []
    inner = make(store, calls)
    raced = False

    async def racing_handler(env: Envelope, msg: Message) -> Effects | None:
        nonlocal raced
        effects = await inner.handlers["test.sign"](env, msg)
        if not raced:  # another writer moves the stream between decision and commit
            raced = True
            await store.append(
                "document-b", 0, [Envelope.wrap(Signed(doc="x"), tenant_id=TENANT, producer="o")]
            )
        return effects

    consumer = Consumer(
        store, {"test.sign": racing_handler}, consumer="signer", producer="s/1", registry=REGISTRY
    )
    await consumer(sign("b"))
    assert calls == ["b", "b"]
    assert [r.stream_version for r in await store.read_stream("document-b")] == [1, 2]


async def test_in_process_bus_runs_the_consumer_and_parks_bad_payloads() -> None:
    store, calls = InMemoryEventStore(), []
    consumer = make(store, calls)
    bus = InProcessBus(retry=RetryPolicy(max_attempts=5, base_delay_ms=60_000))
    await bus.subscribe("signer", consumer.types, consumer)
    await bus.publish(sign("c"))
    bad = sign("d").model_copy(update={"payload": {"doc": 5}})
    await bus.publish(bad)

    async def parked() -> bool:
        return len(await bus.parked()) == 1

    await eventually(lambda: calls == ["c"])
    await eventually(parked)
    [p] = await bus.parked()
    # parked at once: retrying a malformed payload cannot help (no 60 s retry delay waited)
    assert p.envelope == bad and p.attempts == 1 and "Unretryable" in p.error
    for e in store.take_outbox():
        await bus.publish(e)  # what the relay does
    await bus.close()
