"""The KuDE cache: (document, format) → PDF artifact, shared by the kude service, the mailer and the
gateway (table ``kude_pdfs``, migration 0200). The PDF bytes are in the artifact store; whoever
renders first records them, later readers fetch them. Every lookup filters by tenant.

``KudePdfs.pdf(...)`` is the one call: cached PDF, or render (``RenderWorker``) + store + record.
The company's logo (``tenants.logo``, set with ``PATCH /admin/tenants/{t}``) is read here, so every
KuDE of the company carries it, whoever renders it.
Two processes rendering the same KuDE at once both succeed (same bytes or not, the first record
wins and both answer a valid PDF).
"""

from __future__ import annotations

import uuid
from typing import Protocol

import asyncpg

from sifenflow_common.artifacts import MEDIA_PDF, ArtifactNotFound, ArtifactStore
from sifenflow_common.kude.markup import Environment, Format
from sifenflow_common.kude.worker import RenderWorker


class KudeCache(Protocol):
    async def get(self, tenant_id: uuid.UUID, document_id: uuid.UUID, format: Format) -> str | None: ...
    async def put(
        self, tenant_id: uuid.UUID, document_id: uuid.UUID, format: Format, sha256: str
    ) -> None: ...
    async def logo(self, tenant_id: uuid.UUID) -> bytes | None: ...


class PostgresKudeCache:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, tenant_id: uuid.UUID, document_id: uuid.UUID, format: Format) -> str | None:
        value = await self._pool.fetchval(
            "SELECT pdf_sha256 FROM kude_pdfs WHERE tenant_id = $1 AND document_id = $2 AND format = $3",
            tenant_id,
            document_id,
            format,
        )
        return str(value) if value is not None else None

    async def put(self, tenant_id: uuid.UUID, document_id: uuid.UUID, format: Format, sha256: str) -> None:
        await self._pool.execute(
            "INSERT INTO kude_pdfs (tenant_id, document_id, format, pdf_sha256) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (document_id, format) DO NOTHING",
            tenant_id,
            document_id,
            format,
            sha256,
        )

    async def logo(self, tenant_id: uuid.UUID) -> bytes | None:
        value = await self._pool.fetchval("SELECT logo FROM tenants WHERE id = $1", tenant_id)
        return bytes(value) if value is not None else None


class InMemoryKudeCache:
    def __init__(self) -> None:
        self.entries: dict[tuple[uuid.UUID, uuid.UUID, str], str] = {}
        self.logos: dict[uuid.UUID, bytes] = {}

    async def get(self, tenant_id: uuid.UUID, document_id: uuid.UUID, format: Format) -> str | None:
        return self.entries.get((tenant_id, document_id, format))

    async def put(self, tenant_id: uuid.UUID, document_id: uuid.UUID, format: Format, sha256: str) -> None:
        self.entries.setdefault((tenant_id, document_id, format), sha256)

    async def logo(self, tenant_id: uuid.UUID) -> bytes | None:
        return self.logos.get(tenant_id)


class KudePdfs:
    """Cached KuDE of one document, rendered on first request."""

    def __init__(self, artifacts: ArtifactStore, cache: KudeCache, worker: RenderWorker) -> None:
        self.artifacts = artifacts
        self.cache = cache
        self.worker = worker
        self.rendered = 0  # renders done by this instance (observability, tests)

    async def cached(self, tenant_id: uuid.UUID, document_id: uuid.UUID, format: Format) -> bytes | None:
        sha = await self.cache.get(tenant_id, document_id, format)
        if sha is None:
            return None
        try:
            return await self.artifacts.get(sha)
        except ArtifactNotFound:
            return None

    async def pdf(
        self,
        tenant_id: uuid.UUID,
        document_id: uuid.UUID,
        signed_xml: bytes,
        *,
        format: Format = "a4",
        environment: Environment | None = None,
    ) -> tuple[bytes, str]:
        """(PDF, its artifact sha256): from the cache, else rendered now and cached."""
        sha = await self.cache.get(tenant_id, document_id, format)
        if sha is not None:
            try:
                return await self.artifacts.get(sha), sha
            except ArtifactNotFound:
                pass
        logo = await self.cache.logo(tenant_id)
        pdf = await self.worker.render([signed_xml], format=format, environment=environment, logo=logo)
        self.rendered += 1
        sha = await self.artifacts.put(pdf, MEDIA_PDF)
        await self.cache.put(tenant_id, document_id, format, sha)
        return pdf, sha
