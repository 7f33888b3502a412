"""The ``search`` projection → table ``document_search`` (and, by its triggers, the daily aggregates).

One row per document with what search, exports and reports show. The status follows the same events
as the ``documents`` projection; what the events do not carry is read from the artifacts they name:
environment, date, receptor and currency from the request (``document.requested``), the amounts
from the built XML (``document.built``). Artifacts are immutable and keyed by hash, so a rebuild
yields the same rows.
"""

from __future__ import annotations

import contextlib
import json
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

import asyncpg
from lxml import etree

from sifenflow_common.eventstore.ports import RecordedEvent
from sifenflow_common.readmodel.documents import FACTURASEND_ESTADO, TERMINAL, VOIDABLE
from sifenflow_common.sifen.paraguay_time import PARAGUAY_TZ

UNKNOWN_ENVIRONMENT = "desconocido"  # the request artifact is gone (never for documents of this version)
AMOUNTS = {
    "dTotGralOpe": "total",
    "dBaseGrav10": "base10",
    "dIVA10": "iva10",
    "dBaseGrav5": "base5",
    "dIVA5": "iva5",
    "dSubExe": "exento",
}

# A document requested in the batch is inserted once with the effect of its later events in the
# batch folded in (_fold): one insert and one trigger run instead of an insert and four updates.
_INSERT = """
INSERT INTO document_search (tenant_id, document_id, id, document_type, establishment, expedition_point,
    number, environment, issued_at, issued_on, receptor_ruc, receptor_document, receptor_name, receptor_key,
    currency, stream_version, created_at, status, situacion, cdc, sifen_code, lote_id, signed_sha256, total,
    base10, iva10, base5, iva5, exento, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
    $23, $24, $25, $26, $27, $28, $29, $30)
ON CONFLICT (document_id) DO NOTHING
"""
_UPDATE = """
UPDATE document_search SET status = $3, situacion = $4, cdc = coalesce($5, cdc),
    sifen_code = coalesce($6, sifen_code), lote_id = coalesce($7, lote_id),
    signed_sha256 = coalesce($8, signed_sha256), total = coalesce($9, total), base10 = coalesce($10, base10),
    iva10 = coalesce($11, iva10), base5 = coalesce($12, base5), iva5 = coalesce($13, iva5),
    exento = coalesce($14, exento), stream_version = $15, updated_at = $16
WHERE document_id = $2 AND tenant_id = $1 AND stream_version < $15
"""
_VOID_RANGE = """
UPDATE document_search SET status = 'voided', situacion = $9, updated_at = $7
WHERE tenant_id = $1 AND document_type = $2 AND establishment = $3 AND expedition_point = $4
  AND number BETWEEN $5 AND $6 AND status = ANY($8::text[])
"""
_LOTE_STARTED = """
UPDATE document_search SET status = 'sending', situacion = 0, lote_id = $3, updated_at = $4
WHERE tenant_id = $1 AND document_id = ANY($2::uuid[]) AND status <> ALL($5::text[])
"""
_LOTE_SUBMITTED = """
UPDATE document_search SET status = $3, situacion = $4, sifen_code = $5, updated_at = $6
WHERE tenant_id = $1 AND lote_id = $2 AND status <> ALL($7::text[])
"""
_ARTIFACTS = "SELECT sha256, bytes FROM artifacts WHERE sha256 = ANY($1::text[])"

Statement = tuple[str, tuple[Any, ...]]


def situacion_of(status: str) -> int:
    return FACTURASEND_ESTADO.get(status, (0, "Generado"))[0]


def name_key(text: str | None) -> str | None:
    """Lower case, no accents, single spaces: what ``q`` is compared with."""
    if text is None:
        return None
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def request_fields(blob: bytes | None, fallback: datetime) -> dict[str, Any]:
    """Environment, fecha, receptor and currency of a request artifact (gateway REQUEST_SCHEMA)."""
    try:
        parsed = json.loads(blob) if blob else {}
    except ValueError:  # not JSON: as if it were gone (the row still shows the document)
        parsed = {}
    body: dict[str, Any] = parsed if isinstance(parsed, dict) else {}
    data: dict[str, Any] = body.get("data") or {}
    cliente: dict[str, Any] = data.get("cliente") or {}
    issued_at = fallback
    if isinstance(fecha := data.get("fecha"), str):
        try:
            parsed = datetime.fromisoformat(fecha)
            issued_at = parsed if parsed.tzinfo else parsed.replace(tzinfo=PARAGUAY_TZ)
        except ValueError:
            pass
    ruc = cliente.get("ruc") if cliente.get("contribuyente") else None
    document = None if ruc else cliente.get("documentoNumero")
    name = cliente.get("razonSocial")
    return {
        "environment": str(body.get("environment") or UNKNOWN_ENVIRONMENT),
        "issued_at": issued_at,
        "issued_on": issued_at.astimezone(PARAGUAY_TZ).date(),
        "receptor_ruc": str(ruc) if ruc else None,
        "receptor_document": str(document) if document else None,
        "receptor_name": str(name) if name else None,
        "receptor_key": name_key(str(name)) if name else None,
        "currency": str(data.get("moneda") or "PYG"),
    }


def xml_amounts(blob: bytes | None) -> dict[str, Decimal | None]:
    """gTotSub amounts of a built rDE (MT v150 F); absent ones are None."""
    found: dict[str, Decimal | None] = dict.fromkeys(AMOUNTS.values())
    if not blob:
        return found
    try:
        root = etree.fromstring(blob, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:  # unreadable: no amounts rather than a projection stuck on it
        return found
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        column = AMOUNTS.get(etree.QName(element).localname)
        if column is not None and element.text:
            with contextlib.suppress(InvalidOperation):
                found[column] = Decimal(element.text.strip())
    return found


def _statement(event: RecordedEvent, artifacts: dict[str, bytes]) -> Statement | None:
    env = event.envelope
    p: dict[str, Any] = env.payload
    tenant, at, version = env.tenant_id, env.occurred_at, event.stream_version

    def doc(status: str, *, cdc: Any = None, code: Any = None, lote: Any = None, sha: Any = None,
            amounts: dict[str, Decimal | None] | None = None) -> Statement:  # fmt: skip
        a = amounts or {}
        return _UPDATE, (
            tenant, UUID(p["document_id"]), status, situacion_of(status), cdc, code, lote, sha,
            a.get("total"), a.get("base10"), a.get("iva10"), a.get("base5"), a.get("iva5"), a.get("exento"),
            version, at,
        )  # fmt: skip

    def lote_of() -> UUID | None:
        return UUID(p["lote_id"]) if p.get("lote_id") else None

    match env.type:
        case "document.requested":
            f = request_fields(artifacts.get(p["request_sha256"]), at)
            external = str(p.get("external_id") or "")
            return _INSERT, (
                tenant, UUID(p["document_id"]), int(external) if external.isdigit() else 0,
                p["document_type"], p["establishment"], p["expedition_point"], p["number"],
                f["environment"], f["issued_at"], f["issued_on"], f["receptor_ruc"], f["receptor_document"],
                f["receptor_name"], f["receptor_key"], f["currency"], version, at,
                "requested", 0, None, None, None, None, None, None, None, None, None, None, at,
            )  # fmt: skip
        case "document.built":
            return doc("built", cdc=p["cdc"], amounts=xml_amounts(artifacts.get(p["xml_sha256"])))
        case "document.build_failed":
            issues = p.get("issues") or []
            return doc("build_failed", code=issues[0]["code"] if issues else "BUILD_FAILED")
        case "document.signed":
            return doc("signed", cdc=p["cdc"], sha=p["signed_xml_sha256"])
        case "document.signing_failed":
            return doc("signing_failed", code=p["code"])
        case "document.sent_sync":
            return doc("sent", cdc=p["cdc"])
        case "document.approved":
            status = "approved_with_observation" if p.get("with_observation") else "approved"
            return doc(status, cdc=p["cdc"], code=p["sifen_code"], lote=lote_of())
        case "document.rejected":
            return doc("rejected", cdc=p["cdc"], code=p["sifen_code"], lote=lote_of())
        case "document.cancelled":
            return doc("cancelled", cdc=p["cdc"], code="0600")
        case "range.voided":
            return _VOID_RANGE, (
                tenant, p["document_type"], p["establishment"], p["expedition_point"],
                f"{int(p['first']):07d}", f"{int(p['last']):07d}", at, list(VOIDABLE), situacion_of("voided"),
            )  # fmt: skip
        case "lote.submission_started":
            ids = [UUID(d["document_id"]) for d in p["documents"]]
            return _LOTE_STARTED, (tenant, ids, UUID(p["lote_id"]), at, list(TERMINAL))
        case "lote.submitted":
            status = "sent" if p["sifen_code"] == "0300" else "send_failed"
            return _LOTE_SUBMITTED, (
                tenant, UUID(p["lote_id"]), status, situacion_of(status), p["sifen_code"], at, list(TERMINAL),
            )  # fmt: skip
        case _:
            return None


def _artifact_keys(events: Sequence[RecordedEvent]) -> list[str]:
    keys: list[str] = []
    for event in events:
        payload = event.envelope.payload
        if event.envelope.type == "document.requested":
            keys.append(payload["request_sha256"])
        elif event.envelope.type == "document.built":
            keys.append(payload["xml_sha256"])
    return keys


class SearchProjection:
    def __init__(self) -> None:
        self.name = "search"
        self.categories: Sequence[str] | None = ("document", "lote", "event")
        self.tables: Sequence[str] = (
            "document_search",
            "document_daily",
            "document_receptor_daily",
            "document_receptor_monthly",
        )

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        await self.apply_batch(conn, [event])

    async def apply_batch(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        """In order; the artifacts the batch needs in one query; each document's inserts and updates
        folded into one row (set-based lote and range statements first flush what is folded)."""
        keys = _artifact_keys(events)
        artifacts = (
            {r["sha256"]: bytes(r["bytes"]) for r in await conn.fetch(_ARTIFACTS, keys)} if keys else {}
        )
        fold = _Fold()
        for event in events:
            statement = _statement(event, artifacts)
            if statement is None:
                continue
            sql, args = statement
            if sql == _INSERT:
                fold.insert(args)
            elif sql == _UPDATE:
                fold.update(args)
            else:
                await fold.flush(conn)
                await conn.execute(sql, *args)
        await fold.flush(conn)


# Positions in the _UPDATE arguments and where they go in the _INSERT ones.
_U_STATUS, _U_SITUACION, _U_FIRST_KEPT, _U_LAST_KEPT, _U_VERSION, _U_AT = 2, 3, 4, 13, 14, 15
_I_VERSION, _I_STATUS, _I_FIRST_KEPT, _I_AT = 15, 17, 19, 29


class _Fold:
    """Rows to insert and updates per document, each the effect of its events applied in order:
    status, situacion, version and time from the last; cdc, code, lote, XML and amounts from the last
    that had one (the ``coalesce`` of _UPDATE); updates not newer than the row are dropped."""

    def __init__(self) -> None:
        self.inserts: dict[UUID, list[Any]] = {}
        self.updates: dict[UUID, list[Any]] = {}

    def insert(self, args: tuple[Any, ...]) -> None:
        self.inserts.setdefault(args[1], list(args))

    def update(self, args: tuple[Any, ...]) -> None:
        document_id = args[1]
        if (row := self.inserts.get(document_id)) is not None:
            if args[_U_VERSION] > row[_I_VERSION]:
                row[_I_STATUS], row[_I_STATUS + 1] = args[_U_STATUS], args[_U_SITUACION]
                for k in range(_U_LAST_KEPT - _U_FIRST_KEPT + 1):
                    if args[_U_FIRST_KEPT + k] is not None:
                        row[_I_FIRST_KEPT + k] = args[_U_FIRST_KEPT + k]
                row[_I_VERSION], row[_I_AT] = args[_U_VERSION], args[_U_AT]
            return
        if (previous := self.updates.get(document_id)) is None:
            self.updates[document_id] = list(args)
            return
        if args[_U_VERSION] > previous[_U_VERSION]:
            kept = previous[_U_FIRST_KEPT : _U_LAST_KEPT + 1]
            merged = list(args)
            for k, value in enumerate(kept):
                if merged[_U_FIRST_KEPT + k] is None:
                    merged[_U_FIRST_KEPT + k] = value
            self.updates[document_id] = merged

    async def flush(self, conn: asyncpg.Connection) -> None:
        if self.inserts:
            await conn.executemany(_INSERT, [tuple(r) for r in self.inserts.values()])
        if self.updates:
            await conn.executemany(_UPDATE, [tuple(r) for r in self.updates.values()])
        self.inserts.clear()
        self.updates.clear()
