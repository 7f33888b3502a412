"""The ``documents`` projection → table ``document_status``, and its queries.

Every query takes the tenant and filters by it: a document of another tenant is simply not found.
Document-stream events update a row only when their stream version is newer than the row's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from sifenflow_common.eventstore.ports import RecordedEvent

# status → (FacturaSend situacion, estado label); see shared docs facturasend-api §4.1.
FACTURASEND_ESTADO: dict[str, tuple[int, str]] = {
    "requested": (0, "Generado"),
    "built": (0, "Generado"),
    "signed": (0, "Generado"),
    "build_failed": (0, "Generado"),
    "signing_failed": (0, "Generado"),
    "sending": (0, "Generado"),
    "sent": (1, "Enviado"),
    "send_failed": (0, "Generado"),
    "approved": (2, "Aprobado"),
    "approved_with_observation": (3, "Aprobado con observación"),
    "rejected": (4, "Rechazado"),
    "cancelled": (99, "Cancelado"),
    "voided": (97, "Inutilizado"),  # number inutilizado after a rejection (facturasend-api §4.1 note)
}
TERMINAL = ("approved", "approved_with_observation", "rejected", "cancelled", "voided")
VOIDABLE = ("rejected", "build_failed", "signing_failed")


@dataclass(frozen=True, slots=True)
class DocumentStatus:
    tenant_id: UUID
    document_id: UUID
    cdc: str | None
    document_type: int
    establishment: str
    expedition_point: str
    number: str
    external_id: str | None
    status: str
    sifen_code: str | None
    sifen_message: str | None
    lote_id: UUID | None
    xml_sha256: str | None
    stream_version: int
    created_at: datetime
    updated_at: datetime

    @property
    def numero(self) -> str:
        """FacturaSend ``numero``: ``001-001-0000001``."""
        return f"{self.establishment}-{self.expedition_point}-{self.number}"

    @property
    def situacion(self) -> int:
        return FACTURASEND_ESTADO.get(self.status, (0, "Generado"))[0]

    @property
    def estado(self) -> str:
        return FACTURASEND_ESTADO.get(self.status, (0, "Generado"))[1]


_COLUMNS = (
    "tenant_id, document_id, cdc, document_type, establishment, expedition_point, number, external_id, "
    "status, sifen_code, sifen_message, lote_id, xml_sha256, stream_version, created_at, updated_at"
)
_INSERT_REQUESTED = """
INSERT INTO document_status (tenant_id, document_id, document_type, establishment, expedition_point, number,
    external_id, status, stream_version, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'requested', $8, $9, $9)
ON CONFLICT (document_id) DO NOTHING
"""
_UPDATE_DOC = """
UPDATE document_status SET status = $3, cdc = coalesce($4, cdc), sifen_code = $5, sifen_message = $6,
    lote_id = coalesce($7, lote_id), xml_sha256 = coalesce($8, xml_sha256), stream_version = $9,
    updated_at = $10
WHERE document_id = $2 AND tenant_id = $1 AND stream_version < $9
"""
# The same change for many documents in one statement (a run of _UPDATE_DOC, folded per document).
_UPDATE_DOCS = """
UPDATE document_status d SET status = u.status, cdc = coalesce(u.cdc, d.cdc), sifen_code = u.code,
    sifen_message = u.msg, lote_id = coalesce(u.lote, d.lote_id), xml_sha256 = coalesce(u.sha, d.xml_sha256),
    stream_version = u.version, updated_at = u.at
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::text[],
            $9::bigint[], $10::timestamptz[])
    AS u(tenant_id, document_id, status, cdc, code, msg, lote, sha, version, at)
WHERE d.document_id = u.document_id AND d.tenant_id = u.tenant_id AND d.stream_version < u.version
"""
_VOID_RANGE = """
UPDATE document_status SET status = 'voided', updated_at = $7
WHERE tenant_id = $1 AND document_type = $2 AND establishment = $3 AND expedition_point = $4
  AND number BETWEEN $5 AND $6 AND status = ANY($8::text[])
"""
_UPDATE_LOTE_DOCS = """
UPDATE document_status SET status = $3, lote_id = $4, sifen_code = coalesce($5, sifen_code),
    sifen_message = coalesce($6, sifen_message), updated_at = $7
WHERE tenant_id = $1 AND document_id = ANY($2::uuid[]) AND status <> ALL($8::text[])
"""
_UPDATE_LOTE = """
UPDATE document_status SET status = $3, sifen_code = $4, sifen_message = $5, updated_at = $6
WHERE tenant_id = $1 AND lote_id = $2 AND status <> ALL($7::text[])
"""


Statement = tuple[str, tuple[Any, ...]]


def _statement(event: RecordedEvent) -> Statement | None:
    """The one SQL statement an event makes on ``document_status`` (None: no change)."""
    env = event.envelope
    p: dict[str, Any] = env.payload
    tenant, at, version = env.tenant_id, env.occurred_at, event.stream_version

    def doc(status: str, *, cdc: Any = None, code: Any = None, msg: Any = None, lote: Any = None,
            sha: Any = None) -> Statement:  # fmt: skip
        return _UPDATE_DOC, (tenant, UUID(p["document_id"]), status, cdc, code, msg, lote, sha, version, at)

    match env.type:
        case "document.requested":
            return _INSERT_REQUESTED, (
                tenant,
                UUID(p["document_id"]),
                p["document_type"],
                p["establishment"],
                p["expedition_point"],
                p["number"],
                p.get("external_id"),
                version,
                at,
            )
        case "document.built":
            return doc("built", cdc=p["cdc"], sha=p["xml_sha256"])
        case "document.build_failed":
            issues = p.get("issues") or []
            code = issues[0]["code"] if issues else "BUILD_FAILED"
            return doc("build_failed", code=code, msg=json.dumps(issues, ensure_ascii=False))
        case "document.signed":
            return doc("signed", cdc=p["cdc"], sha=p["signed_xml_sha256"])
        case "document.signing_failed":
            return doc("signing_failed", code=p["code"], msg=p["message"])
        case "document.sent_sync":
            return doc("sent", cdc=p["cdc"])
        case "document.approved":
            status = "approved_with_observation" if p.get("with_observation") else "approved"
            lote = UUID(p["lote_id"]) if p.get("lote_id") else None
            return doc(status, cdc=p["cdc"], code=p["sifen_code"], msg=p["sifen_message"], lote=lote)
        case "document.rejected":
            lote = UUID(p["lote_id"]) if p.get("lote_id") else None
            return doc("rejected", cdc=p["cdc"], code=p["sifen_code"], msg=p["sifen_message"], lote=lote)
        case "document.cancelled":
            return doc("cancelled", cdc=p["cdc"], code="0600", msg=p.get("reason"))
        case "range.voided":  # an inutilización: documents of those numbers that never got approved
            return _VOID_RANGE, (
                tenant, p["document_type"], p["establishment"], p["expedition_point"],
                f"{int(p['first']):07d}", f"{int(p['last']):07d}", at, list(VOIDABLE),
            )  # fmt: skip
        case "lote.submission_started":
            ids = [UUID(d["document_id"]) for d in p["documents"]]
            return _UPDATE_LOTE_DOCS, (tenant, ids, "sending", UUID(p["lote_id"]), None, None, at, TERMINAL)
        case "lote.submitted":
            status = "sent" if p["sifen_code"] == "0300" else "send_failed"
            return _UPDATE_LOTE, (
                tenant, UUID(p["lote_id"]), status, p["sifen_code"], p["sifen_message"], at, TERMINAL,
            )  # fmt: skip
        case _:
            return None  # other events do not change the document status


class DocumentsProjection:
    def __init__(self) -> None:
        self.name = "documents"
        self.categories: Sequence[str] | None = ("document", "lote", "event")
        self.tables: Sequence[str] = ("document_status",)

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        statement = _statement(event)
        if statement is not None:
            await conn.execute(statement[0], *statement[1])

    async def apply_batch(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        """Apply ``events`` in order, one statement per run of events making the same statement.

        Order is kept exactly (runs are consecutive), so the result equals applying the events one
        by one; a busy pipeline's batch becomes a handful of statements instead of one per event.
        """
        run_sql: str | None = None
        run_args: list[tuple[Any, ...]] = []
        for event in events:
            statement = _statement(event)
            if statement is None:
                continue
            sql, args = statement
            if sql != run_sql and run_args:
                await _run(conn, run_sql, run_args)
                run_args = []
            run_sql = sql
            run_args.append(args)
        if run_args:
            await _run(conn, run_sql, run_args)


async def _run(conn: asyncpg.Connection, sql: str | None, rows: list[tuple[Any, ...]]) -> None:
    if sql == _UPDATE_DOC and len(rows) > 1:
        columns = [list(c) for c in zip(*_fold_per_document(rows), strict=True)]
        await conn.execute(_UPDATE_DOCS, *columns)
    else:
        await conn.executemany(sql, rows)


def _fold_per_document(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """One _UPDATE_DOC row per document with the effect of its rows applied in order: the last row's
    status, code, message, version and time; cdc, lote and sha from the last row that had one
    (``coalesce`` in the statement). Within a run a document's events are consecutive versions, so
    this equals applying them one by one under the ``stream_version <`` guard."""
    folded: dict[UUID, tuple[Any, ...]] = {}
    for row in rows:
        tenant, document_id, status, cdc, code, msg, lote, sha, version, at = row
        if (previous := folded.get(document_id)) is not None:
            cdc = cdc if cdc is not None else previous[3]
            lote = lote if lote is not None else previous[6]
            sha = sha if sha is not None else previous[7]
        folded[document_id] = (tenant, document_id, status, cdc, code, msg, lote, sha, version, at)
    return list(folded.values())


def _row(record: asyncpg.Record | None) -> DocumentStatus | None:
    return None if record is None else DocumentStatus(**dict(record))


async def get_by_id(
    db: asyncpg.Pool | asyncpg.Connection, tenant_id: UUID, document_id: UUID
) -> DocumentStatus | None:
    sql = f"SELECT {_COLUMNS} FROM document_status WHERE tenant_id = $1 AND document_id = $2"
    return _row(await db.fetchrow(sql, tenant_id, document_id))


async def get_by_cdc(
    db: asyncpg.Pool | asyncpg.Connection, tenant_id: UUID, cdc: str
) -> DocumentStatus | None:
    sql = f"SELECT {_COLUMNS} FROM document_status WHERE tenant_id = $1 AND cdc = $2"
    return _row(await db.fetchrow(sql, tenant_id, cdc))


async def get_many_by_cdc(
    db: asyncpg.Pool | asyncpg.Connection, tenant_id: UUID, cdcs: Sequence[str]
) -> list[DocumentStatus]:
    sql = f"SELECT {_COLUMNS} FROM document_status WHERE tenant_id = $1 AND cdc = ANY($2::text[])"
    return [DocumentStatus(**dict(r)) for r in await db.fetch(sql, tenant_id, list(cdcs))]


async def list_documents(
    db: asyncpg.Pool | asyncpg.Connection,
    tenant_id: UUID,
    *,
    limit: int = 50,
    before: datetime | None = None,
    status: str | None = None,
    lote_id: UUID | None = None,
) -> list[DocumentStatus]:
    """Newest first; page with ``before`` = the last row's ``created_at``."""
    sql = f"""
    SELECT {_COLUMNS} FROM document_status
    WHERE tenant_id = $1 AND ($2::timestamptz IS NULL OR created_at < $2)
      AND ($3::text IS NULL OR status = $3) AND ($4::uuid IS NULL OR lote_id = $4)
    ORDER BY created_at DESC, document_id LIMIT $5
    """
    rows = await db.fetch(sql, tenant_id, before, status, lote_id, limit)
    return [DocumentStatus(**dict(r)) for r in rows]
