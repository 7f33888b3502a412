"""On the real broker, a worker's /metrics shows how many messages wait in each of its queues and in
the parking queue (sampled every METRICS_INTERVAL_S by the runtime), and how old messages are when
they reach their handler."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sifenflow_common.bus.ports import Unretryable
from sifenflow_common.bus.rabbit import RabbitBus
from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.messages.events import DocumentRequested
from sifenflow_common.runtime.service import ServiceDeps, ServicePlan, ServiceRuntime
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.testing import eventually
from tests.backbone_support import AMQP_URL, new_topology

pytestmark = pytest.mark.integration


def _requested(age_s: float) -> Envelope:
    message = DocumentRequested(
        document_id=uuid.uuid4(),
        document_type=1,
        establishment="001",
        expedition_point="001",
        number="0000001",
        request_sha256="cd" * 32,
    )
    occurred = datetime.now(UTC) - timedelta(seconds=age_s)
    return Envelope.wrap(message, tenant_id=uuid.uuid4(), producer="t/1", occurred_at=occurred)


async def _samples(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as resp:
        text = await resp.text()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_queue_depth_parked_count_and_message_age_on_metrics() -> None:
    topology = new_topology()
    settings = Settings(
        service_name="builder",
        amqp_url=AMQP_URL,
        bus_prefix=topology.prefix,
        http_port=0,
        prefetch=1,
        retry_max_attempts=1,
        metrics_interval_s=0.1,
    )
    release = asyncio.Event()

    async def slow(_: Envelope) -> None:
        await release.wait()

    async def broken(_: Envelope) -> None:
        raise Unretryable("malformed on purpose")

    async def build(settings: Settings, deps: ServiceDeps) -> ServicePlan:
        await deps.bus.subscribe("builder", [DocumentRequested.TYPE], slow)
        await deps.bus.subscribe("probe", [DocumentRequested.TYPE], broken)
        return ServicePlan()

    runtime = await ServiceRuntime(settings, build).start()
    assert runtime.deps is not None and runtime.port is not None
    bus = runtime.deps.bus
    assert isinstance(bus, RabbitBus)
    port = runtime.port
    queue = topology.queue("builder", DocumentRequested.TYPE)
    try:
        for _ in range(4):
            await bus.publish(_requested(age_s=120))

        async def sampled() -> bool:
            samples = await _samples(port)
            waiting = samples.get(("sifenflow_queue_messages", (("queue", queue), ("service", "builder"))))
            parked = samples.get(("sifenflow_parked_messages", ()))
            return waiting == 3 and parked == 4  # one delivery held by the slow handler

        await eventually(sampled, timeout=20, interval=0.1)
        samples = await _samples(port)
        key = (("queue", queue), ("service", "builder"), ("type", DocumentRequested.TYPE))
        assert samples[("sifenflow_message_age_seconds_count", key)] == 1
        assert samples[("sifenflow_message_age_seconds_sum", key)] >= 120
    finally:
        release.set()
        await bus.delete_declared()
        await runtime.shutdown()
