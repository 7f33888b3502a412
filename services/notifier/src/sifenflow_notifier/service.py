"""Notifier service: lifecycle events → webhook deliveries, and the delivery loop
(``sifenflow serve notifier``; also part of ``sifenflow run``)."""

from __future__ import annotations

import asyncio

from sifenflow_common.crypto import SecretBox
from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.runtime.direct import subscribe
from sifenflow_common.runtime.service import ServiceDeps, ServicePlan, run_service
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.webhooks.repository import WebhookRepository
from sifenflow_common.webhooks.settings import WebhookSettings
from sifenflow_notifier.dispatcher import Dispatcher
from sifenflow_notifier.expiry import daily_check
from sifenflow_notifier.handlers import SOURCE_TYPES, on_lifecycle_event
from sifenflow_notifier.resolver import webhook_session

SERVICE = "notifier"


async def build(
    settings: Settings, deps: ServiceDeps, webhook_settings: WebhookSettings | None = None
) -> ServicePlan:
    assert deps.pool is not None, "the notifier keeps its delivery queue in Postgres (DATABASE_URL)"
    if settings.master_key is None:
        raise RuntimeError("MASTER_KEY is required to open webhook secrets")
    config = webhook_settings or WebhookSettings()
    repository = WebhookRepository(
        deps.pool, SecretBox([settings.master_key.get_secret_value()]), max_age_s=config.max_age_s
    )
    session = webhook_session(allow_private=config.allow_private_urls, concurrency=config.concurrency)
    outcomes = deps.metrics.webhook_deliveries

    def count(outcome: str) -> None:
        outcomes.labels(outcome).inc()

    dispatcher = Dispatcher(repository, session, config, count)

    async def read_stream(stream: str) -> list[Envelope]:
        return [recorded.envelope for recorded in await deps.store.read_stream(stream)]

    async def handle(envelope: Envelope) -> None:
        if await on_lifecycle_event(
            envelope, queue=repository, registry=deps.registry, read_stream=read_stream
        ):
            dispatcher.wake()

    # The queue name is the service name (notifier.<type>), whatever the process is called.
    await subscribe(deps.bus, SERVICE, {t: handle for t in SOURCE_TYPES})

    async def deliver(stop: asyncio.Event) -> None:
        try:
            await dispatcher.run(stop)
        finally:
            await session.close()

    expiry = daily_check(deps.pool, deps.store, settings.producer, config.certificate_check_interval_s)
    return ServicePlan(tasks=[deliver, expiry])


def main(settings: Settings) -> None:
    asyncio.run(run_service(settings.model_copy(update={"service_name": SERVICE}), build))
