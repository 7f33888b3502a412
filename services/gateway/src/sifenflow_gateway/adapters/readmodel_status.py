"""StatusReader on the `document_status` read model (projection of the event store), the signed XML
from the artifact store and the QR from the document's `document.signed` event. Always by tenant."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import asyncpg

from sifenflow_common.readmodel.documents import FACTURASEND_ESTADO
from sifenflow_gateway.model import FINAL_SITUACIONES, DocumentStatus
from sifenflow_gateway.sifen_json import sifen_reply_json

# read-model status → FacturaSend situacion, as the documents projection defines it (§4.1)
SITUACION_OF_STATUS: dict[str, int] = {status: pair[0] for status, pair in FACTURASEND_ESTADO.items()}
SITUACION_OF_STATUS.setdefault("cancelled", 99)
# xml_sha256 names the unsigned rDE until the document is signed, and keeps naming it when signing
# failed (and after such a document's number is voided): the XML is joined only for the states that
# come after document.signed, so no endpoint can serve an unsigned XML as if it were signed.
_STATUS_SQL = """
SELECT s.document_id, s.status, s.sifen_code, s.sifen_message, s.updated_at, s.xml_sha256,
       a.bytes AS signed_xml
FROM document_status s
LEFT JOIN artifacts a ON a.sha256 = s.xml_sha256 AND (
    s.status IN ('signed', 'sending', 'sent', 'send_failed', 'approved', 'approved_with_observation',
                 'rejected', 'cancelled')
    OR (s.status = 'voided' AND EXISTS (
        SELECT 1 FROM events e
        WHERE e.tenant_id = s.tenant_id AND e.stream_name = 'document-' || s.document_id::text
          AND e.type = 'document.signed' AND e.data->>'signed_xml_sha256' = s.xml_sha256)))
WHERE s.tenant_id = $1 AND s.document_id = ANY($2::uuid[])
"""
_SENT_SYNC_SQL = """
SELECT e.stream_name, a.bytes FROM events e
JOIN artifacts a ON a.sha256 = e.data->>'response_sha256'
WHERE e.tenant_id = $1 AND e.stream_name = ANY($2::text[]) AND e.type = 'document.sent_sync'
"""
_SIGNED_SQL = """
SELECT stream_name, data FROM events
WHERE tenant_id = $1 AND stream_name = ANY($2::text[]) AND type = 'document.signed'
"""
POLL_FIRST_SECONDS = 0.02  # then ×1.5 per round up to POLL_MAX_SECONDS: quick answers, bounded load
POLL_MAX_SECONDS = 0.25


class ReadModelStatusReader:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def statuses(
        self, tenant_id: uuid.UUID, document_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, DocumentStatus]:
        if not document_ids:
            return {}
        rows = await self._pool.fetch(_STATUS_SQL, tenant_id, list(document_ids))
        signed = {r["document_id"] for r in rows if r["signed_xml"] is not None}
        qrs = await self._qr_urls(tenant_id, signed) if signed else {}
        out: dict[uuid.UUID, DocumentStatus] = {}
        for row in rows:
            xml = bytes(row["signed_xml"]).decode("utf-8") if row["signed_xml"] is not None else None
            out[row["document_id"]] = DocumentStatus(
                situacion=SITUACION_OF_STATUS.get(row["status"], 0),
                respuesta_codigo=row["sifen_code"],
                respuesta_mensaje=row["sifen_message"],
                fecha_proceso=row["updated_at"].isoformat() if row["updated_at"] else None,
                xml=xml,
                qr=qrs.get(row["document_id"]),
            )
        return out

    async def _qr_urls(self, tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await self._pool.fetch(_SIGNED_SQL, tenant_id, [f"document-{i}" for i in ids])
        out: dict[uuid.UUID, str] = {}
        for row in rows:
            data: Any = row["data"]
            payload = json.loads(data) if isinstance(data, str) else data
            out[uuid.UUID(row["stream_name"].removeprefix("document-"))] = payload.get("qr_url")
        return out

    async def _wait(
        self, tenant_id: uuid.UUID, document_ids: Sequence[uuid.UUID], wait_seconds: float, *, signed: bool
    ) -> dict[uuid.UUID, DocumentStatus]:
        deadline = time.monotonic() + wait_seconds
        interval = POLL_FIRST_SECONDS
        while True:
            found = await self.statuses(tenant_id, document_ids)
            done = all(
                (d in found)
                and (found[d].xml is not None if signed else found[d].situacion in FINAL_SITUACIONES)
                for d in document_ids
            )
            if done or time.monotonic() >= deadline:
                return found
            await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())))
            interval = min(POLL_MAX_SECONDS, interval * 1.5)

    async def wait_final(
        self, tenant_id: uuid.UUID, document_ids: Sequence[uuid.UUID], wait_seconds: float
    ) -> dict[uuid.UUID, DocumentStatus]:
        """Final states, with SIFEN's sync reception answer (rRetEnviDe as JSON) when there is one."""
        found = await self._wait(tenant_id, document_ids, wait_seconds, signed=False)
        if not found:
            return found
        rows = await self._pool.fetch(_SENT_SYNC_SQL, tenant_id, [f"document-{d}" for d in found])
        for row in rows:
            doc_id = uuid.UUID(row["stream_name"].removeprefix("document-"))
            reply = sifen_reply_json(bytes(row["bytes"]))
            if reply is not None and doc_id in found:
                found[doc_id] = replace(found[doc_id], sifen_reply=reply)
        return found

    async def wait_signed(
        self, tenant_id: uuid.UUID, document_ids: Sequence[uuid.UUID], wait_seconds: float
    ) -> dict[uuid.UUID, DocumentStatus]:
        return await self._wait(tenant_id, document_ids, wait_seconds, signed=True)
