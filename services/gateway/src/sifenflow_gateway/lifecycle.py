"""Dependencies of the lifecycle routes (webhooks, events, consultas), wired in ``app.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg
from aiohttp import web

from sifenflow_common.crypto import SecretBox
from sifenflow_common.tenants.repository import TenantRepository
from sifenflow_common.webhooks.repository import WebhookRepository
from sifenflow_common.webhooks.settings import WebhookSettings
from sifenflow_gateway.consultas import SifenConsultas
from sifenflow_gateway.errors import ApiError
from sifenflow_gateway.event_ledger import EventLedger
from sifenflow_gateway.keys import DEPS
from sifenflow_gateway.settings import GatewaySettings


@dataclass(frozen=True)
class LifecycleDeps:
    webhooks: WebhookRepository
    events: EventLedger
    consultas: SifenConsultas
    webhook_settings: WebhookSettings = field(default_factory=WebhookSettings)


def lifecycle(request: web.Request) -> LifecycleDeps:
    deps = request.app[DEPS].lifecycle
    if deps is None:
        raise ApiError(503, "SERVICIO_NO_DISPONIBLE", "Esta instalación no tiene el módulo de ciclo de vida")
    return deps


def postgres_lifecycle(pool: asyncpg.Pool, box: SecretBox, settings: GatewaySettings) -> LifecycleDeps:
    webhook_settings = WebhookSettings()
    return LifecycleDeps(
        webhooks=WebhookRepository(pool, box, max_age_s=webhook_settings.max_age_s),
        events=EventLedger(pool, settings.topology, settings.producer),
        consultas=SifenConsultas(TenantRepository(pool, box, settings.sim_base_url)),
        webhook_settings=webhook_settings,
    )
