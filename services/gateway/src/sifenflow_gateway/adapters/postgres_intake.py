"""IntakeStore on PostgreSQL: Idempotency-Key, gapless numbers, CDC, intake rows and the
DocumentRequested append all commit together or not at all."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from pydantic_core import to_json

from sifenflow_common.artifacts import sha256_hex
from sifenflow_common.tenants import numbering
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.model import (
    AcceptedDocument,
    BulkBatch,
    BulkCounts,
    BulkLine,
    CdcInUseError,
    DocumentContentError,
    DraftNotFoundError,
    IdempotencyKeyReusedError,
    IntakeRequest,
    IntakeResult,
    NumberReusedError,
    PendingDocument,
)
from sifenflow_gateway.sink import RequestedSink

_DOC_COLUMNS = (
    "id, document_id, lote_id, cdc, tipo_documento, establecimiento, punto, numero, situacion, data,"
    " created_at, is_borrado"
)


_INSERT_DOCS = f"""
INSERT INTO gateway_documents (tenant_id, lote_id, document_id, cdc, tipo_documento, timbrado,
    establecimiento, punto, numero, situacion, content_hash, data)
SELECT $1, $2, * FROM unnest($3::uuid[], $4::text[], $5::smallint[], $6::text[], $7::text[], $8::text[],
                             $9::bigint[], $10::smallint[], $11::text[], $12::jsonb[])
RETURNING {_DOC_COLUMNS}
"""

_USED_CDCS = "SELECT cdc FROM gateway_documents WHERE cdc = ANY($1::text[])"


def _doc(row: asyncpg.Record) -> AcceptedDocument:
    data = row["data"]
    return AcceptedDocument(
        id=row["id"],
        document_id=row["document_id"],
        lote_id=row["lote_id"],
        cdc=row["cdc"],
        tipo_documento=row["tipo_documento"],
        establecimiento=row["establecimiento"],
        punto=row["punto"],
        numero=row["numero"],
        situacion=row["situacion"],
        data=json.loads(data) if isinstance(data, str) else data,
        created_at=row["created_at"],
        is_borrado=row["is_borrado"],
    )


def _key(tenant: Tenant, doc: PendingDocument) -> numbering.NumberingKey:
    """The series of a document: numbering is per timbrado (the one valid at its date) and per
    environment."""
    timbrado = str(tenant.params_at(doc.data.get("fecha", "")).get("timbradoNumero", ""))
    return numbering.NumberingKey(
        tenant.id,
        timbrado,
        doc.establecimiento,
        doc.punto,
        doc.tipo_documento,
        tenant.environment.value,
    )


class PgIntakeStore:
    def __init__(self, pool: asyncpg.Pool, sink: RequestedSink) -> None:
        self._pool = pool
        self._sink = sink

    async def accept(self, request: IntakeRequest) -> IntakeResult:
        try:
            return await self._accept(request)
        except (asyncpg.DataError, ValueError, TypeError) as exc:  # refused content, not an outage
            raise DocumentContentError(f"{type(exc).__name__}: {exc}") from exc

    async def _accept(self, request: IntakeRequest) -> IntakeResult:
        tenant = request.tenant
        async with self._pool.acquire() as conn, conn.transaction():
            if request.idem_key is not None:
                stored = await self._claim_idempotency(conn, request)
                if stored is not None:
                    return stored
            numbers = await self._numbers(conn, request)
            tipo = request.documents[0].tipo_documento
            lote_id = await conn.fetchval(
                "INSERT INTO gateway_lotes (tenant_id, tipo_documento, draft, status, sync)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                tenant.id,
                tipo,
                request.draft,
                "borrador" if request.draft else "aceptado",
                request.sync,
            )
            uses = [
                numbering.NumberUse(_key(tenant, doc), numero, uuid.uuid4(), doc.content_hash, allocated)
                for doc, (numero, allocated) in zip(request.documents, numbers, strict=True)
            ]
            taken = await numbering.record_uses(conn, uses)
            earlier = await self._earlier_documents(conn, request, taken)
            situacion = -1 if request.draft else 0
            rows: list[tuple[Any, ...]] = []
            for index, (doc, use) in enumerate(zip(request.documents, uses, strict=True)):
                if index in taken:
                    continue
                data = dict(doc.data, numero=use.numero)
                cdc = request.finalize(data)
                state = 2 if doc.tipo_documento == 55 and not request.draft else situacion
                rows.append(
                    (use.document_id, cdc, doc.tipo_documento, use.key.timbrado, doc.establecimiento,
                     doc.punto, use.numero, state, doc.content_hash, to_json(data).decode())
                )  # fmt: skip
            await self._refuse_used_cdcs(conn, uses, taken, rows)
            inserted = (
                await conn.fetch(
                    _INSERT_DOCS, tenant.id, lote_id, *[list(c) for c in zip(*rows, strict=True)]
                )
                if rows
                else []
            )
            by_id = {r["document_id"]: _doc(r) for r in inserted}
            fresh = [by_id[u.document_id] for i, u in enumerate(uses) if i not in taken]
            accepted = [earlier[i] if i in taken else by_id[u.document_id] for i, u in enumerate(uses)]
            if not request.draft and fresh:
                await self._sink.append_requested(
                    conn, tenant, fresh, correlation_id=request.correlation_id, sync=request.sync
                )
            if not fresh:  # every document was a resend of an earlier one: answer with its lote
                await conn.execute("DELETE FROM gateway_lotes WHERE id = $1", lote_id)
                lote_id = accepted[0].lote_id
            result = IntakeResult(lote_id=int(lote_id), documents=accepted)
            if request.idem_key is not None:
                await conn.execute(
                    "UPDATE gateway_idempotency SET result = $3::jsonb"
                    " WHERE tenant_id = $1 AND idem_key = $2",
                    tenant.id,
                    request.idem_key,
                    json.dumps({"loteId": result.lote_id, "ids": [d.id for d in accepted]}),
                )
            return result

    async def _refuse_used_cdcs(
        self,
        conn: asyncpg.Connection,
        uses: list[numbering.NumberUse],
        taken: dict[int, numbering.NumberAlreadyUsedError],
        rows: list[tuple[Any, ...]],
    ) -> None:
        """A CDC is one document's, whatever the company: raising here rolls the numbers back too."""
        cdcs = [row[1] for row in rows]
        used = {r["cdc"] for r in await conn.fetch(_USED_CDCS, cdcs)} if cdcs else set()
        fresh = [i for i in range(len(uses)) if i not in taken]
        for index, cdc in zip(fresh, cdcs, strict=True):
            if cdc in used:
                raise CdcInUseError(index, uses[index].numero, cdc)

    async def _earlier_documents(
        self,
        conn: asyncpg.Connection,
        request: IntakeRequest,
        taken: dict[int, numbering.NumberAlreadyUsedError],
    ) -> dict[int, AcceptedDocument]:
        """A taken number is fine only when the same document was sent before: answer with it."""
        for index, used in taken.items():
            if used.content_hash != request.documents[index].content_hash:
                raise NumberReusedError(index, used.numero)
        if not taken:
            return {}
        rows = await conn.fetch(
            f"SELECT {_DOC_COLUMNS} FROM gateway_documents"
            " WHERE tenant_id = $1 AND document_id = ANY($2::uuid[])",
            request.tenant.id,
            [u.document_id for u in taken.values()],
        )
        found = {r["document_id"]: _doc(r) for r in rows}
        out: dict[int, AcceptedDocument] = {}
        for index, used in taken.items():
            if used.document_id not in found:  # e.g. the same number twice in one request
                raise NumberReusedError(index, used.numero)
            out[index] = found[used.document_id]
        return out

    async def purge_idempotency(self, older_than: timedelta) -> int:
        result = await self._pool.execute(
            "DELETE FROM gateway_idempotency WHERE created_at < now() - $1::interval", older_than
        )
        return int(result.split()[-1])

    async def _claim_idempotency(
        self, conn: asyncpg.Connection, request: IntakeRequest
    ) -> IntakeResult | None:
        # A concurrent request with the same key blocks on the primary key until the first commits.
        inserted = await conn.fetchval(
            "INSERT INTO gateway_idempotency (tenant_id, idem_key, request_hash, result)"
            " VALUES ($1, $2, $3, '{}'::jsonb) ON CONFLICT DO NOTHING RETURNING true",
            request.tenant.id,
            request.idem_key,
            request.request_hash,
        )
        if inserted:
            return None
        row = await conn.fetchrow(
            "SELECT request_hash, result FROM gateway_idempotency WHERE tenant_id = $1 AND idem_key = $2",
            request.tenant.id,
            request.idem_key,
        )
        assert row is not None
        if row["request_hash"] != request.request_hash:
            raise IdempotencyKeyReusedError(request.idem_key)
        stored = json.loads(row["result"]) if isinstance(row["result"], str) else row["result"]
        rows = await conn.fetch(
            f"SELECT {_DOC_COLUMNS} FROM gateway_documents WHERE tenant_id = $1 AND id = ANY($2::bigint[])",
            request.tenant.id,
            stored["ids"],
        )
        by_id = {r["id"]: _doc(r) for r in rows}
        return IntakeResult(
            lote_id=stored["loteId"], documents=[by_id[i] for i in stored["ids"]], replayed=True
        )

    async def _numbers(self, conn: asyncpg.Connection, request: IntakeRequest) -> list[tuple[int, bool]]:
        """(numero, allocated?) per document; counter rows are locked in key order (no deadlocks)."""
        needed: dict[numbering.NumberingKey, int] = defaultdict(int)
        highest_given: dict[numbering.NumberingKey, int] = {}
        for doc in request.documents:
            key = _key(request.tenant, doc)
            if doc.numero is None:
                needed[key] += 1
            else:
                highest_given[key] = max(highest_given.get(key, 0), doc.numero)
        pools: dict[numbering.NumberingKey, list[int]] = {}
        for key in sorted(set(needed) | set(highest_given), key=lambda k: k.args()):
            if key in highest_given:
                await numbering.note_given(conn, key, highest_given[key])
            if needed.get(key):
                pools[key] = await numbering.allocate(conn, key, needed[key])
        out: list[tuple[int, bool]] = []
        for doc in request.documents:
            if doc.numero is None:
                out.append((pools[_key(request.tenant, doc)].pop(0), True))
            else:
                out.append((doc.numero, False))
        return out

    async def _draft(self, conn: asyncpg.Connection, tenant: Tenant, lote_id: int) -> None:
        status = await conn.fetchval(
            "SELECT status FROM gateway_lotes WHERE tenant_id = $1 AND id = $2 FOR UPDATE", tenant.id, lote_id
        )
        if status != "borrador":
            raise DraftNotFoundError(lote_id)

    async def confirm_draft(self, tenant: Tenant, lote_id: int) -> IntakeResult:
        async with self._pool.acquire() as conn, conn.transaction():
            await self._draft(conn, tenant, lote_id)
            await conn.execute(
                "UPDATE gateway_lotes SET status = 'aceptado', updated_at = now() WHERE id = $1", lote_id
            )
            rows = await conn.fetch(
                f"UPDATE gateway_documents SET situacion = 0 WHERE lote_id = $1 RETURNING {_DOC_COLUMNS}",
                lote_id,
            )
            docs = sorted((_doc(r) for r in rows), key=lambda d: d.id)
            await self._sink.append_requested(conn, tenant, docs, correlation_id=uuid.uuid4(), sync=False)
            return IntakeResult(lote_id=lote_id, documents=docs)

    async def reject_draft(self, tenant: Tenant, lote_id: int) -> IntakeResult:
        async with self._pool.acquire() as conn, conn.transaction():
            await self._draft(conn, tenant, lote_id)
            await conn.execute(
                "UPDATE gateway_lotes SET status = 'descartado', updated_at = now() WHERE id = $1", lote_id
            )
            rows = await conn.fetch(
                f"UPDATE gateway_documents SET is_borrado = true WHERE lote_id = $1 RETURNING {_DOC_COLUMNS}",
                lote_id,
            )
            return IntakeResult(
                lote_id=lote_id, documents=sorted((_doc(r) for r in rows), key=lambda d: d.id)
            )

    async def by_cdc(self, tenant_id: uuid.UUID, cdc: str) -> AcceptedDocument | None:
        row = await self._pool.fetchrow(
            f"SELECT {_DOC_COLUMNS} FROM gateway_documents WHERE tenant_id = $1 AND cdc = $2", tenant_id, cdc
        )
        return _doc(row) if row else None

    async def by_id(self, tenant_id: uuid.UUID, doc_id: int) -> AcceptedDocument | None:
        row = await self._pool.fetchrow(
            f"SELECT {_DOC_COLUMNS} FROM gateway_documents WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            doc_id,
        )
        return _doc(row) if row else None

    async def by_cdcs(self, tenant_id: uuid.UUID, cdcs: Sequence[str]) -> list[AcceptedDocument]:
        rows = await self._pool.fetch(
            f"SELECT {_DOC_COLUMNS} FROM gateway_documents WHERE tenant_id = $1 AND cdc = ANY($2::text[])",
            tenant_id,
            list(cdcs),
        )
        return [_doc(r) for r in rows]

    async def lote(self, tenant_id: uuid.UUID, lote_id: int) -> list[AcceptedDocument]:
        rows = await self._pool.fetch(
            f"SELECT {_DOC_COLUMNS} FROM gateway_documents WHERE tenant_id = $1 AND lote_id = $2 ORDER BY id",
            tenant_id,
            lote_id,
        )
        return [_doc(r) for r in rows]

    async def save_bulk(self, batch: BulkBatch) -> None:
        await self._pool.execute(
            """
            INSERT INTO gateway_bulk_batches (id, tenant_id, status, total, accepted, failed, errors,
                                              lote_ids, finished_at, source_sha256, warnings)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11::jsonb)
            ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, accepted = EXCLUDED.accepted,
                failed = EXCLUDED.failed, errors = EXCLUDED.errors, lote_ids = EXCLUDED.lote_ids,
                finished_at = EXCLUDED.finished_at, warnings = EXCLUDED.warnings
            """,
            batch.id,
            batch.tenant_id,
            batch.status,
            batch.total,
            batch.accepted,
            batch.failed,
            _jsonb_text(batch.errors),
            batch.lote_ids,
            batch.finished_at,
            batch.source_sha256,
            json.dumps(batch.warnings, ensure_ascii=False),
        )

    async def bulk(self, tenant_id: uuid.UUID, batch_id: uuid.UUID) -> BulkBatch | None:
        row = await self._pool.fetchrow(
            "SELECT * FROM gateway_bulk_batches WHERE tenant_id = $1 AND id = $2", tenant_id, batch_id
        )
        return _batch(row) if row is not None else None

    async def unfinished_bulks(self) -> list[BulkBatch]:
        rows = await self._pool.fetch(
            "SELECT * FROM gateway_bulk_batches"
            " WHERE status IN ('recibido', 'procesando') ORDER BY created_at"
        )
        return [_batch(r) for r in rows]

    async def record_bulk_lines(self, batch_id: uuid.UUID, lines: Sequence[BulkLine]) -> BulkCounts:
        async with self._pool.acquire() as conn, conn.transaction():
            # lock the batch row: concurrent writers of one batch (two gateways resuming it) serialize
            await conn.execute("SELECT 1 FROM gateway_bulk_batches WHERE id = $1 FOR UPDATE", batch_id)
            if lines:
                await conn.executemany(
                    """
                    INSERT INTO gateway_bulk_lines (batch_id, line, estado, document_id, lote_id, cdc,
                                                    numero, errors)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) ON CONFLICT DO NOTHING
                    """,
                    [
                        (batch_id, x.line, x.estado, x.document_id, x.lote_id, x.cdc, x.numero,
                         _jsonb_text(x.errors))
                        for x in lines
                    ],
                )  # fmt: skip
            row = await conn.fetchrow(
                """
                SELECT count(*) FILTER (WHERE estado = 'aceptado') AS accepted,
                       count(*) FILTER (WHERE estado = 'fallido') AS failed,
                       coalesce(array_agg(DISTINCT lote_id) FILTER (WHERE lote_id IS NOT NULL), '{}')
                           AS lote_ids
                FROM gateway_bulk_lines WHERE batch_id = $1
                """,
                batch_id,
            )
            assert row is not None
            counts = BulkCounts(int(row["accepted"]), int(row["failed"]), sorted(row["lote_ids"]))
            await conn.execute(
                "UPDATE gateway_bulk_batches SET accepted = $2, failed = $3, lote_ids = $4 WHERE id = $1",
                batch_id,
                counts.accepted,
                counts.failed,
                counts.lote_ids,
            )
            return counts

    async def bulk_lines(
        self, batch_id: uuid.UUID, *, estado: str | None = None, after: int = 0, limit: int = 100
    ) -> list[BulkLine]:
        rows = await self._pool.fetch(
            "SELECT * FROM gateway_bulk_lines WHERE batch_id = $1 AND line > $2"
            " AND ($3::text IS NULL OR estado = $3) ORDER BY line LIMIT $4",
            batch_id,
            after,
            estado,
            limit,
        )
        return [
            BulkLine(
                line=r["line"], estado=r["estado"], document_id=r["document_id"], lote_id=r["lote_id"],
                cdc=r["cdc"], numero=r["numero"], errors=json.loads(r["errors"]),
            )
            for r in rows
        ]  # fmt: skip

    async def put_source(self, data: bytes) -> str:
        sha = sha256_hex(data)
        await self._pool.execute(
            "INSERT INTO artifacts (sha256, media_type, bytes) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            sha,
            "application/x-ndjson",
            data,
        )
        return sha

    async def source(self, sha256: str) -> bytes:
        data = await self._pool.fetchval("SELECT bytes FROM artifacts WHERE sha256 = $1", sha256)
        if data is None:
            raise KeyError(sha256)
        return bytes(data)


def _jsonb_text(value: Any) -> str:
    """JSON that jsonb accepts: no NUL character (error messages may quote what the client sent)."""
    return json.dumps(_without_nul(value), ensure_ascii=False)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _batch(row: asyncpg.Record) -> BulkBatch:
    errors: Any = row["errors"]
    warnings: Any = row["warnings"]
    return BulkBatch(
        id=row["id"],
        tenant_id=row["tenant_id"],
        status=row["status"],
        total=row["total"],
        accepted=row["accepted"],
        failed=row["failed"],
        errors=json.loads(errors) if isinstance(errors, str) else errors,
        lote_ids=list(row["lote_ids"]),
        created_at=row["created_at"],
        finished_at=row["finished_at"],
        source_sha256=row["source_sha256"],
        warnings=json.loads(warnings) if isinstance(warnings, str) else warnings,
    )
