"""Sender service: handler table and wiring (``sifenflow serve sender``)."""

from __future__ import annotations

import asyncio
from functools import partial

import aiohttp

from sifenflow_common.messages.commands import PollLote, ReconcileLote
from sifenflow_common.messages.events import DocumentSigned, LoteSubmissionStarted
from sifenflow_common.messages.lifecycle import SifenEventSigned
from sifenflow_common.runtime.direct import DirectHandler, subscribe
from sifenflow_common.runtime.service import ServiceDeps, ServicePlan, run_service
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.runtime.tenants import tenant_repository
from sifenflow_sender.config import SenderSettings
from sifenflow_sender.events import EventSenderDeps, on_sifen_event_signed
from sifenflow_sender.handlers import (
    SenderState,
    on_document_signed,
    on_lote_submission_started,
    on_poll_lote,
    on_reconcile_lote,
)
from sifenflow_sender.ports import SenderConfig, SenderDeps, SifenPort
from sifenflow_sender.sifen_adapter import EventSifenPort

SERVICE = "sender"
MIN_PREFETCH = 120


class AsyncioClock:
    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def handlers(deps: SenderDeps, state: SenderState) -> dict[str, DirectHandler]:
    return {
        DocumentSigned.TYPE: partial(on_document_signed, deps=deps, state=state),
        LoteSubmissionStarted.TYPE: partial(on_lote_submission_started, deps=deps, state=state),
        PollLote.TYPE: partial(on_poll_lote, deps=deps),
        ReconcileLote.TYPE: partial(on_reconcile_lote, deps=deps),
    }


def sender_deps(settings: Settings, deps: ServiceDeps, sifen: SifenPort, config: SenderConfig) -> SenderDeps:
    return SenderDeps(deps.store, deps.artifacts, sifen, AsyncioClock(), config, producer=settings.producer)


async def build(settings: Settings, deps: ServiceDeps, config: SenderConfig | None = None) -> ServicePlan:
    assert deps.pool is not None, "the sender reads tenants from Postgres (DATABASE_URL)"
    config = config or SenderSettings().sender_config()
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90, connect=15))
    latency = deps.metrics.sifen_latency

    def observe(operation: str, code: str, seconds: float) -> None:
        latency.labels(operation, code).observe(seconds)

    sifen = EventSifenPort(
        tenant_repository(settings, deps.pool),
        session,
        observe,
        read_timeout_s=config.sifen_read_timeout_s,
        total_timeout_s=config.sifen_total_timeout_s,
    )
    sender = sender_deps(settings, deps, sifen, config)
    table = handlers(sender, SenderState(config.lote_max, config.lote_max_wait_s))
    # Polls and reconciliations wait (backoff, pause) while holding their delivery: they get their
    # own subscription (channel and prefetch) so waiting never starves the documents that fill the
    # next lotes.
    waiting = (PollLote.TYPE, ReconcileLote.TYPE)
    await subscribe(deps.bus, SERVICE, {t: h for t, h in table.items() if t not in waiting})
    await subscribe(deps.bus, SERVICE, {t: table[t] for t in waiting})

    async def close_session(stop: asyncio.Event) -> None:
        await stop.wait()  # set after the bus drained in-flight deliveries
        await session.close()

    events = EventSenderDeps(deps.store, deps.artifacts, sifen)
    event_handlers = {SifenEventSigned.TYPE: partial(on_sifen_event_signed, deps=events)}
    return ServicePlan(handlers=event_handlers, tasks=[close_session])


def main(settings: Settings) -> None:
    # A lote fills only if up to 50 signed documents can be in flight at once (one delivery each).
    prefetch = max(settings.prefetch, MIN_PREFETCH)
    asyncio.run(
        run_service(settings.model_copy(update={"service_name": SERVICE, "prefetch": prefetch}), build)
    )
