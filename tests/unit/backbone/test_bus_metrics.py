"""The bus feeds the runtime's metrics: how old a message is when it reaches its handler, how many
messages wait in each queue and in the parking queue (in-process bus; RabbitMQ in
tests/integration/backbone/test_bus_metrics_rabbit.py)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sifenflow_common.bus.inprocess import InProcessBus
from sifenflow_common.bus.ports import Unretryable
from sifenflow_common.bus.topology import RetryPolicy, Topology
from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.messages.events import DocumentRequested
from sifenflow_common.runtime.metrics import Metrics
from sifenflow_common.testing import eventually

pytestmark = pytest.mark.unit
TOPOLOGY = Topology("m.")


def _requested(age_s: float = 0.0) -> Envelope:
    message = DocumentRequested(
        document_id=uuid.uuid4(),
        document_type=1,
        establishment="001",
        expedition_point="001",
        number="0000001",
        request_sha256="ab" * 32,
    )
    occurred = datetime.now(UTC) - timedelta(seconds=age_s)
    return Envelope.wrap(message, tenant_id=uuid.uuid4(), producer="t/1", occurred_at=occurred)


async def test_message_age_at_delivery_is_observed() -> None:
    metrics = Metrics("builder")
    bus = InProcessBus(TOPOLOGY, prefetch=1, observer=metrics)
    handled = asyncio.Event()

    async def handler(_: Envelope) -> None:
        handled.set()

    await bus.subscribe("builder", [DocumentRequested.TYPE], handler)
    await bus.publish(_requested(age_s=30))
    await asyncio.wait_for(handled.wait(), 5)
    labels = {"service": "builder", "queue": "m.builder.document.requested", "type": "document.requested"}
    assert metrics.registry.get_sample_value("sifenflow_message_age_seconds_count", labels) == 1
    age = metrics.registry.get_sample_value("sifenflow_message_age_seconds_sum", labels)
    assert age is not None and 30 <= age < 60
    await bus.close()


async def test_queue_depths_count_waiting_and_parked_messages() -> None:
    bus = InProcessBus(TOPOLOGY, RetryPolicy(max_attempts=1), prefetch=1)
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow(_: Envelope) -> None:
        started.set()
        await release.wait()

    async def broken(_: Envelope) -> None:
        raise Unretryable("malformed")

    await bus.subscribe("builder", [DocumentRequested.TYPE], slow)
    await bus.subscribe("probe", [DocumentRequested.TYPE], broken)
    for _ in range(3):
        await bus.publish(_requested())
    await asyncio.wait_for(started.wait(), 5)

    async def all_parked() -> bool:
        return (await bus.queue_depths())["m.sifenflow.parked"] == 3

    await eventually(all_parked, timeout=5, interval=0.01)
    assert await bus.queue_depths() == {
        "m.builder.document.requested": 2,  # the third is with the handler
        "m.probe.document.requested": 0,
        "m.sifenflow.parked": 3,
    }
    release.set()
    await bus.close()
