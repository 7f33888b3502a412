"""KudeDocuments on PostgreSQL: shared KuDE cache + render thread, event store for re-send
requests, tenants table for the mail settings."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from sifenflow_common.artifacts import PostgresArtifactStore
from sifenflow_common.bus.topology import Topology
from sifenflow_common.crypto import SecretBox
from sifenflow_common.eventstore.ports import ConcurrencyError
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.kude.cache import KudePdfs, PostgresKudeCache
from sifenflow_common.kude.markup import Format
from sifenflow_common.kude.worker import RenderWorker
from sifenflow_common.messages.envelope import Envelope, document_stream
from sifenflow_common.messages.mail import KudeEmailRequested, Reason
from sifenflow_common.tenants.mail import MailInput, MailSettings, TenantMailRepository
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.kude import environment_of

APPEND_ATTEMPTS = 5


class PgKudeDocuments:
    def __init__(self, pool: asyncpg.Pool, box: SecretBox, topology: Topology, producer: str) -> None:
        self.worker = RenderWorker("gateway-render")
        self.pdfs = KudePdfs(PostgresArtifactStore(pool), PostgresKudeCache(pool), self.worker)
        self._store = PostgresEventStore(pool, topology)
        self._mail = TenantMailRepository(pool, box)
        self._producer = producer

    async def pdf(self, tenant: Tenant, document_id: uuid.UUID, signed_xml: bytes, format: Format) -> bytes:
        pdf, _ = await self.pdfs.pdf(
            tenant.id, document_id, signed_xml, format=format, environment=environment_of(tenant)
        )
        return pdf

    async def render_many(self, tenant: Tenant, signed_xmls: Sequence[bytes], format: Format) -> bytes:
        logo = await self.pdfs.cache.logo(tenant.id)
        return await self.worker.render(
            signed_xmls, format=format, environment=environment_of(tenant), logo=logo
        )

    async def request_email(
        self,
        tenant: Tenant,
        document_id: uuid.UUID,
        cdc: str,
        to: tuple[str, ...],
        reason: Reason,
        correlation_id: uuid.UUID,
    ) -> None:
        stream = document_stream(document_id)
        event = KudeEmailRequested(document_id=document_id, cdc=cdc, to=to, reason=reason)
        envelope = Envelope.wrap(
            event, tenant_id=tenant.id, producer=self._producer, correlation_id=correlation_id
        )
        for attempt in range(APPEND_ATTEMPTS):
            try:
                async with self._store.transaction() as tx:
                    version = await tx.stream_version(stream)
                    await tx.append(stream, version, [envelope])
                return
            except ConcurrencyError:  # the pipeline appended meanwhile: take the new version
                if attempt == APPEND_ATTEMPTS - 1:
                    raise

    async def mail_settings(self, tenant_id: uuid.UUID) -> MailSettings | None:
        return await self._mail.load(tenant_id, with_password=False)

    async def update_mail_settings(self, tenant_id: uuid.UUID, data: MailInput) -> MailSettings | None:
        return await self._mail.update(tenant_id, data)
