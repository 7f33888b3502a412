"""The notifier's dispatcher reports how each recorded attempt ended (delivered, retry, failed) for
``sifenflow_webhook_deliveries{outcome}``: a loopback receiver answers 200 or 500; a deleted
subscription fails at once (no retry)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from sifenflow_common.runtime.metrics import Metrics
from sifenflow_common.webhooks.model import AttemptResult, ClaimedDelivery
from sifenflow_common.webhooks.settings import WebhookSettings
from sifenflow_notifier.dispatcher import Dispatcher

pytestmark = pytest.mark.unit


class RecordingStore:
    def __init__(self) -> None:
        self.recorded: list[tuple[AttemptResult, datetime | None]] = []

    async def claim(self, limit: int, lease_s: float) -> Sequence[ClaimedDelivery]:
        return []

    async def record(
        self, delivery: ClaimedDelivery, result: AttemptResult, next_attempt_at: datetime | None
    ) -> None:
        self.recorded.append((result, next_attempt_at))

    def open_secret(self, subscription_id: uuid.UUID, sealed: str) -> str:
        return "whsec_test"


def _delivery(url: str, *, active: bool = True) -> ClaimedDelivery:
    now = datetime.now(UTC)
    return ClaimedDelivery(
        id=uuid.uuid4(),
        subscription_id=uuid.uuid4(),
        tenant_id=uuid.uuid4(),
        url=url,
        secret_sealed="sealed",
        body="{}",
        attempt=1,
        created_at=now,
        expires_at=now + timedelta(hours=24),
        subscription_active=active,
    )


async def test_each_attempt_outcome_is_counted() -> None:
    async def ok(_: web.Request) -> web.Response:
        return web.Response(status=200)

    async def broken(_: web.Request) -> web.Response:
        return web.Response(status=500)

    app = web.Application()
    app.router.add_post("/ok", ok)
    app.router.add_post("/broken", broken)
    server = TestServer(app)
    await server.start_server()
    metrics = Metrics("notifier")
    store = RecordingStore()
    settings = WebhookSettings(allow_private_urls=True, timeout_s=5)
    async with aiohttp.ClientSession() as session:
        dispatcher = Dispatcher(
            store, session, settings, lambda outcome: metrics.webhook_deliveries.labels(outcome).inc()
        )
        for delivery in (
            _delivery(str(server.make_url("/ok"))),
            _delivery(str(server.make_url("/broken"))),
            _delivery(str(server.make_url("/ok")), active=False),
        ):
            await dispatcher._slots.acquire()  # what run_once does before starting a delivery
            await dispatcher.deliver(delivery)
    await server.close()

    def count(outcome: str) -> float | None:
        return metrics.registry.get_sample_value("sifenflow_webhook_deliveries_total", {"outcome": outcome})

    assert (count("delivered"), count("retry"), count("failed")) == (1, 1, 1)
    assert [r.status_code for r, _ in store.recorded] == [200, 500, None]
