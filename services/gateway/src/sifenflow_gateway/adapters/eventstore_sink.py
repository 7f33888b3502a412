"""RequestedSink on the event store: per accepted document, the request artifact and a
DocumentRequested event on stream document-<uuid> (queued in the outbox), inside the intake
transaction, so number, CDC and event commit together."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from pydantic_core import to_json

from sifenflow_common.artifacts import MEDIA_JSON, sha256_hex
from sifenflow_common.bus.topology import Topology
from sifenflow_common.eventstore.rows import metadata_of
from sifenflow_common.messages.envelope import Envelope, document_stream
from sifenflow_common.messages.events import DocumentRequested
from sifenflow_common.outbox import writer
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.model import AcceptedDocument

REQUEST_SCHEMA = "sifenflow.document-request/1"


def request_artifact(tenant: Tenant, doc: AcceptedDocument, *, sync: bool) -> bytes:
    """What the builder needs, frozen at acceptance: emisor params and the normalised `data`
    (numero, fecha, codigoSeguridadAleatorio and the CDC already fixed)."""
    params = tenant.params_at(doc.data.get("fecha", ""))  # the timbrado valid at its date
    body: dict[str, Any] = {
        "schema": REQUEST_SCHEMA,
        "tenant_id": str(tenant.id),
        "environment": tenant.environment.value,
        "params": params,
        "timbrado": params.get("timbradoNumero", ""),
        "lote_id": doc.lote_id,
        "id": doc.id,
        "cdc": doc.cdc,
        "sync": sync,
        "data": dict(doc.data, cdc=doc.cdc),
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")


# Batch forms of the store's append (new streams only, version 1) and artifact put: one round trip
# each for a lote of 50 instead of one per document. Same tables and row shapes as
# sifenflow_common.eventstore.postgres / artifacts; a fresh uuid4 stream cannot already exist.
_APPEND_NEW_STREAMS = """
INSERT INTO events (stream_name, stream_version, message_id, type, schema_version, tenant_id, data, metadata)
SELECT s, 1, m, t, v, tn, d, md
FROM unnest($1::text[], $2::uuid[], $3::text[], $4::smallint[], $5::uuid[], $6::jsonb[], $7::jsonb[])
     AS x(s, m, t, v, tn, d, md)
"""
_PUT_ARTIFACTS = """
INSERT INTO artifacts (sha256, media_type, bytes)
SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
ON CONFLICT (sha256) DO NOTHING
"""


class EventStoreSink:
    def __init__(self, topology: Topology, producer: str) -> None:
        self._topology = topology
        self._producer = producer

    async def append_requested(
        self,
        conn: Any,
        tenant: Tenant,
        documents: Sequence[AcceptedDocument],
        *,
        correlation_id: uuid.UUID,
        sync: bool,
    ) -> None:
        blobs: dict[str, bytes] = {}
        envelopes: list[Envelope] = []
        for doc in documents:
            blob = request_artifact(tenant, doc, sync=sync)
            sha = sha256_hex(blob)
            blobs[sha] = blob
            event = DocumentRequested(
                document_id=doc.document_id,
                document_type=doc.tipo_documento,
                establishment=doc.establecimiento,
                expedition_point=doc.punto,
                number=f"{doc.numero:07d}",
                request_sha256=sha,
                external_id=str(doc.id),
                sync=sync,
            )
            envelope = Envelope.wrap(
                event, tenant_id=tenant.id, producer=self._producer, correlation_id=correlation_id
            )
            envelopes.append(envelope.at(document_stream(doc.document_id), 1))
        if not envelopes:
            return
        await conn.execute(_PUT_ARTIFACTS, list(blobs), [MEDIA_JSON] * len(blobs), list(blobs.values()))
        await conn.execute(
            _APPEND_NEW_STREAMS,
            [e.stream for e in envelopes],
            [e.message_id for e in envelopes],
            [e.type for e in envelopes],
            [e.schema_version for e in envelopes],
            [e.tenant_id for e in envelopes],
            [to_json(e.payload).decode() for e in envelopes],
            [metadata_of(e) for e in envelopes],
        )
        await writer.add(conn, envelopes, self._topology)
