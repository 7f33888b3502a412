"""The mailer service: handler table and wiring (``sifenflow serve mailer``, joined by ``sifenflow run``).

Adapters: tenant SMTP settings from Postgres (password opened with ``MASTER_KEY``), the shared KuDE
cache (``kude_pdfs`` + artifacts) with one render thread, and aiosmtplib (``smtp.send_email``).
Transient SMTP failures raise, so the bus' retry queues give the backoff
(``RETRY_BASE_DELAY_MS`` × ``RETRY_BACKOFF``^n) and park after ``RETRY_MAX_ATTEMPTS``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from uuid import UUID

from sifenflow_common.crypto import SecretBox
from sifenflow_common.kude.cache import InMemoryKudeCache, KudeCache, KudePdfs, PostgresKudeCache
from sifenflow_common.kude.markup import Environment
from sifenflow_common.kude.worker import RenderWorker
from sifenflow_common.runtime.service import ServiceDeps, ServicePlan, run_service
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.tenants.mail import MailSettings, SmtpConfig, TenantMailRepository
from sifenflow_mailer.handlers import MailerDeps, handler_table
from sifenflow_mailer.ports import KudeSource, MailSettingsSource, MailTransport
from sifenflow_mailer.smtp import DeliveryResult, SmtpSettings, send_email

SERVICE = "mailer"


class RepositoryMailSettings:
    def __init__(self, repository: TenantMailRepository) -> None:
        self._repository = repository

    async def mail_settings(self, tenant_id: UUID) -> MailSettings | None:
        return await self._repository.load(tenant_id)


class CachedKude:
    def __init__(self, pdfs: KudePdfs) -> None:
        self._pdfs = pdfs

    async def pdf(
        self, tenant_id: UUID, document_id: UUID, signed_xml: bytes, *, environment: Environment | None
    ) -> bytes:
        pdf, _ = await self._pdfs.pdf(tenant_id, document_id, signed_xml, environment=environment)
        return pdf


class SmtpTransport:
    """aiosmtplib; ``tls_context`` lets a deployment (or a test) trust a private CA."""

    def __init__(self, timeout: float = 30.0, tls_context: ssl.SSLContext | None = None) -> None:
        self._timeout = timeout
        self._tls_context = tls_context

    async def send(
        self, message: EmailMessage, smtp: SmtpConfig, recipients: Sequence[str]
    ) -> DeliveryResult:
        settings = SmtpSettings(
            host=smtp.host,
            port=smtp.port,
            security=smtp.security,
            username=smtp.username,
            password=smtp.password,
            timeout=self._timeout,
            tls_context=self._tls_context,
        )
        return await send_email(message, settings, recipients=tuple(recipients))


def build(
    settings: Settings,
    deps: ServiceDeps,
    *,
    mail_settings: MailSettingsSource | None = None,
    transport: MailTransport | None = None,
    kude: KudeSource | None = None,
) -> ServicePlan:
    pool = deps.pool
    tasks = []
    if mail_settings is None:
        if pool is None or settings.master_key is None:
            return ServicePlan()  # tenants (and their SMTP settings) live in Postgres
        box = SecretBox([settings.master_key.get_secret_value()])
        mail_settings = RepositoryMailSettings(TenantMailRepository(pool, box))
    if kude is None:
        cache: KudeCache = PostgresKudeCache(pool) if pool is not None else InMemoryKudeCache()
        worker = RenderWorker("mailer-render")

        async def close_worker(stop: asyncio.Event) -> None:
            await stop.wait()
            worker.close()

        tasks.append(close_worker)
        kude = CachedKude(KudePdfs(deps.artifacts, cache, worker))
    handler_deps = MailerDeps(
        store=deps.store,
        artifacts=deps.artifacts,
        registry=deps.registry,
        settings=mail_settings,
        kude=kude,
        transport=transport or SmtpTransport(),
        count=lambda outcome: deps.metrics.mail_messages.labels(outcome).inc(),
    )
    return ServicePlan(handlers=handler_table(handler_deps), tasks=tasks)


def main(settings: Settings) -> None:
    asyncio.run(run_service(settings.model_copy(update={"service_name": SERVICE}), build))
