"""Hand-written in-memory implementations of the gateway ports (no I/O)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sifenflow_common.tenants.apikeys import generate_key, lookup_id_of, token_matches
from sifenflow_common.tenants.input import TenantInput
from sifenflow_common.tenants.model import Role, Tenant
from sifenflow_common.tenants.repository import ApiKeyRecord, TenantExistsError
from sifenflow_gateway.model import (
    AcceptedDocument,
    BulkBatch,
    BulkCounts,
    BulkLine,
    DocumentStatus,
    DraftNotFoundError,
    IdempotencyKeyReusedError,
    IntakeRequest,
    IntakeResult,
    NumberReusedError,
)


class FakeDirectory:
    def __init__(self) -> None:
        self.tenants: dict[uuid.UUID, Tenant] = {}
        self.keys: dict[str, tuple[ApiKeyRecord, str]] = {}  # lookup id -> (record, hash)

    async def create_tenant(self, data: TenantInput) -> Tenant:
        if any(t.slug == data.slug for t in self.tenants.values()):
            raise TenantExistsError(data.slug)
        tenant = Tenant(
            id=uuid.uuid4(),
            slug=data.slug,
            nombre=data.nombre,
            environment=data.environment,
            sifen_base_url="http://sim",
            params=data.params,
            timbrados=data.timbrados,
            puntos=data.puntos,
            csc_id=data.csc_id,
            has_csc=data.csc is not None,
            has_certificate=data.certificate_p12 is not None,
            certificate_not_after=None,
        )
        self.tenants[tenant.id] = tenant
        return tenant

    async def replace_certificate(self, tenant_id: uuid.UUID, p12: bytes, password: str | None) -> Tenant:
        tenant = replace(self.tenants[tenant_id], has_certificate=True)
        self.tenants[tenant_id] = tenant
        return tenant

    async def get_tenant(self, ref: str) -> Tenant | None:
        for tenant in self.tenants.values():
            if ref in (tenant.slug, str(tenant.id)):
                return tenant
        return None

    async def create_key(self, tenant_id: uuid.UUID, role: Role, label: str) -> tuple[ApiKeyRecord, str]:
        gen = generate_key()
        record = ApiKeyRecord(uuid.uuid4(), tenant_id, gen.lookup_id, role, label, datetime.now(UTC), None)
        self.keys[gen.lookup_id] = (record, gen.token_hash)
        return record, gen.token

    async def authenticate(self, token: str) -> tuple[ApiKeyRecord, Tenant] | None:
        lookup = lookup_id_of(token)
        found = self.keys.get(lookup or "")
        if found is None or found[0].revoked_at is not None or not token_matches(token, found[1]):
            return None
        return found[0], self.tenants[found[0].tenant_id]

    async def revoke_key(self, key_id: uuid.UUID) -> ApiKeyRecord | None:
        for lookup, (record, hashed) in self.keys.items():
            if record.id == key_id:
                revoked = replace(record, revoked_at=datetime.now(UTC))
                self.keys[lookup] = (revoked, hashed)
                return revoked
        return None

    async def list_keys(self, tenant_id: uuid.UUID) -> list[ApiKeyRecord]:
        return [r for r, _ in self.keys.values() if r.tenant_id == tenant_id]


SeriesKey = tuple[uuid.UUID, str, str, str, int]


class InMemoryIntakeStore:
    """Same rules as PgIntakeStore: idempotency, gapless numbers, reuse detection, all-or-nothing."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self.docs: list[AcceptedDocument] = []
        self.counters: dict[SeriesKey, int] = {}
        self.used: dict[tuple[SeriesKey, int], tuple[uuid.UUID, str]] = {}
        self.idem: dict[tuple[uuid.UUID, str], tuple[str, IntakeResult]] = {}
        self.idem_stored_at: dict[tuple[uuid.UUID, str], datetime] = {}
        self.purges: list[timedelta] = []
        self.lotes: dict[int, tuple[uuid.UUID, str]] = {}
        self.requested: list[AcceptedDocument] = []  # what went to the pipeline (DocumentRequested)
        self.batches: dict[uuid.UUID, BulkBatch] = {}
        self.sources: dict[str, bytes] = {}
        self.bulk_line_rows: dict[uuid.UUID, dict[int, BulkLine]] = {}

    async def purge_idempotency(self, older_than: timedelta) -> int:
        self.purges.append(older_than)
        limit = datetime.now(UTC) - older_than
        old = [k for k, at in self.idem_stored_at.items() if at < limit]
        for key in old:
            del self.idem[key], self.idem_stored_at[key]
        return len(old)

    async def accept(self, request: IntakeRequest) -> IntakeResult:
        async with self._lock:
            tenant = request.tenant
            if request.idem_key is not None and (tenant.id, request.idem_key) in self.idem:
                stored_hash, stored = self.idem[(tenant.id, request.idem_key)]
                if stored_hash != request.request_hash:
                    raise IdempotencyKeyReusedError(request.idem_key)
                return replace(stored, replayed=True)
            counters = dict(self.counters)
            used = dict(self.used)
            lote_id = len(self.lotes) + 1
            accepted: list[AcceptedDocument] = []
            fresh: list[AcceptedDocument] = []
            for index, doc in enumerate(request.documents):
                key: SeriesKey = (
                    tenant.id,
                    tenant.timbrado_numero,
                    doc.establecimiento,
                    doc.punto,
                    doc.tipo_documento,
                )
                if doc.numero is None:
                    numero = counters.get(key, 1)
                    counters[key] = numero + 1
                else:
                    numero = doc.numero
                    counters[key] = max(counters.get(key, 1), numero + 1)
                if (key, numero) in used:
                    prev_id, prev_hash = used[(key, numero)]
                    if prev_hash != doc.content_hash:
                        raise NumberReusedError(index, numero)
                    accepted.append(next(d for d in self.docs if d.document_id == prev_id))
                    continue
                document_id = uuid.uuid4()
                used[(key, numero)] = (document_id, doc.content_hash)
                data = dict(doc.data, numero=numero)
                cdc = request.finalize(data)
                situacion = -1 if request.draft else (2 if doc.tipo_documento == 55 else 0)
                new = AcceptedDocument(
                    id=len(self.docs) + len(fresh) + 1,
                    document_id=document_id,
                    lote_id=lote_id,
                    cdc=cdc,
                    tipo_documento=doc.tipo_documento,
                    establecimiento=doc.establecimiento,
                    punto=doc.punto,
                    numero=numero,
                    situacion=situacion,
                    data=data,
                    created_at=datetime.now(UTC),
                )
                fresh.append(new)
                accepted.append(new)
            self.counters, self.used = counters, used
            self.docs.extend(fresh)
            if fresh:
                self.lotes[lote_id] = (tenant.id, "borrador" if request.draft else "aceptado")
            else:
                lote_id = accepted[0].lote_id
            if not request.draft:
                self.requested.extend(fresh)
            result = IntakeResult(lote_id=lote_id, documents=accepted)
            if request.idem_key is not None:
                self.idem[(tenant.id, request.idem_key)] = (request.request_hash, result)
                self.idem_stored_at[(tenant.id, request.idem_key)] = datetime.now(UTC)
            return result

    def _draft(self, tenant: Tenant, lote_id: int) -> None:
        if self.lotes.get(lote_id) != (tenant.id, "borrador"):
            raise DraftNotFoundError(lote_id)

    async def confirm_draft(self, tenant: Tenant, lote_id: int) -> IntakeResult:
        self._draft(tenant, lote_id)
        self.lotes[lote_id] = (tenant.id, "aceptado")
        docs = []
        for i, doc in enumerate(self.docs):
            if doc.lote_id == lote_id:
                self.docs[i] = replace(doc, situacion=0)
                docs.append(self.docs[i])
        self.requested.extend(docs)
        return IntakeResult(lote_id=lote_id, documents=docs)

    async def reject_draft(self, tenant: Tenant, lote_id: int) -> IntakeResult:
        self._draft(tenant, lote_id)
        self.lotes[lote_id] = (tenant.id, "descartado")
        self.docs = [replace(d, is_borrado=True) if d.lote_id == lote_id else d for d in self.docs]
        return IntakeResult(lote_id=lote_id, documents=[d for d in self.docs if d.lote_id == lote_id])

    def _tenant_docs(self, tenant_id: uuid.UUID) -> list[AcceptedDocument]:
        return [d for d in self.docs if self.lotes[d.lote_id][0] == tenant_id]

    async def by_cdc(self, tenant_id: uuid.UUID, cdc: str) -> AcceptedDocument | None:
        return next((d for d in self._tenant_docs(tenant_id) if d.cdc == cdc), None)

    async def by_id(self, tenant_id: uuid.UUID, doc_id: int) -> AcceptedDocument | None:
        return next((d for d in self._tenant_docs(tenant_id) if d.id == doc_id), None)

    async def by_cdcs(self, tenant_id: uuid.UUID, cdcs: Sequence[str]) -> list[AcceptedDocument]:
        return [d for d in self._tenant_docs(tenant_id) if d.cdc in set(cdcs)]

    async def lote(self, tenant_id: uuid.UUID, lote_id: int) -> list[AcceptedDocument]:
        return [d for d in self._tenant_docs(tenant_id) if d.lote_id == lote_id]

    async def save_bulk(self, batch: BulkBatch) -> None:
        self.batches[batch.id] = batch

    async def bulk(self, tenant_id: uuid.UUID, batch_id: uuid.UUID) -> BulkBatch | None:
        batch = self.batches.get(batch_id)
        return batch if batch is not None and batch.tenant_id == tenant_id else None

    async def unfinished_bulks(self) -> list[BulkBatch]:
        return [b for b in self.batches.values() if b.status in ("recibido", "procesando")]

    async def record_bulk_lines(self, batch_id: uuid.UUID, lines: Sequence[BulkLine]) -> BulkCounts:
        rows = self.bulk_line_rows.setdefault(batch_id, {})
        for line in lines:
            rows.setdefault(line.line, line)
        counts = BulkCounts(
            accepted=sum(x.estado == "aceptado" for x in rows.values()),
            failed=sum(x.estado == "fallido" for x in rows.values()),
            lote_ids=sorted({x.lote_id for x in rows.values() if x.lote_id is not None}),
        )
        if batch_id in self.batches:
            self.batches[batch_id] = replace(
                self.batches[batch_id],
                accepted=counts.accepted,
                failed=counts.failed,
                lote_ids=counts.lote_ids,
            )
        return counts

    async def bulk_lines(
        self, batch_id: uuid.UUID, *, estado: str | None = None, after: int = 0, limit: int = 100
    ) -> list[BulkLine]:
        rows = sorted(self.bulk_line_rows.get(batch_id, {}).values(), key=lambda x: x.line)
        return [x for x in rows if x.line > after and estado in (None, x.estado)][:limit]

    async def put_source(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self.sources[sha] = data
        return sha

    async def source(self, sha256: str) -> bytes:
        return self.sources[sha256]


class FakeStatusReader:
    """A pipeline that answers at once with the status set in `outcome` (per document id or all)."""

    def __init__(self, outcome: DocumentStatus | None = None) -> None:
        self.outcome = outcome
        self.per_doc: dict[uuid.UUID, DocumentStatus] = {}

    async def statuses(
        self, tenant_id: uuid.UUID, document_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, DocumentStatus]:
        out: dict[uuid.UUID, DocumentStatus] = {}
        for doc_id in document_ids:
            status = self.per_doc.get(doc_id, self.outcome)
            if status is not None:
                out[doc_id] = status
        return out

    async def wait_final(
        self, tenant_id: uuid.UUID, document_ids: Sequence[uuid.UUID], wait_seconds: float
    ) -> dict[uuid.UUID, DocumentStatus]:
        return await self.statuses(tenant_id, document_ids)

    async def wait_signed(
        self, tenant_id: uuid.UUID, document_ids: Sequence[uuid.UUID], wait_seconds: float
    ) -> dict[uuid.UUID, DocumentStatus]:
        return await self.statuses(tenant_id, document_ids)
