"""``sifen_event.signed`` → siRecepEvento with the tenant's client → ``event.accepted`` (0600) or
``event.rejected`` on the same stream, plus ``document.cancelled`` for an accepted cancelación and
``range.voided`` for an accepted inutilización (MT v150 §11). Request and response are kept as
artifacts. An unknown outcome (transport error, 0161/0162) raises so the bus retries."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol
from uuid import UUID

from sifenflow_common.artifacts import MEDIA_XML, ArtifactStore
from sifenflow_common.eventstore.ports import EventStore
from sifenflow_common.messages.envelope import Envelope, Message
from sifenflow_common.messages.lifecycle import (
    DocumentCancelled,
    RangeVoided,
    SifenEventAccepted,
    SifenEventRejected,
    SifenEventSigned,
)
from sifenflow_common.runtime.consumer import Append, Effects
from sifenflow_common.sifen.event_rules import is_recibo_cancellation
from sifenflow_sender.ports import EventReply, SifenRefused

# "already registered" answers (4003 cancelación duplicada, 4101 notificación duplicada): when our
# own earlier attempt reached SIFEN (its answer was lost), siConsDE lists the event with our rEve Id.
DUPLICATE_CODES = frozenset({"4003", "4101"})
RECIBO_CANCELLED = "Cancelación del recibo digital registrada (el recibo no se envía a SIFEN)"


class EventPort(Protocol):
    async def send_event(self, tenant_id: UUID, ges_eve_xml: bytes) -> EventReply: ...
    async def registered_event(self, tenant_id: UUID, cdc: str, sifen_id: int) -> str | None: ...


@dataclass(frozen=True)
class EventSenderDeps:
    store: EventStore
    artifacts: ArtifactStore
    sifen: EventPort


def _range(signed: SifenEventSigned) -> RangeVoided:
    f = signed.fields
    return RangeVoided(
        event_id=signed.event_id,
        timbrado=str(f.get("timbrado", "")),
        establishment=str(f.get("establecimiento", "")).zfill(3),
        expedition_point=str(f.get("punto", "")).zfill(3),
        document_type=int(str(f.get("tipoDocumento", 0))),
        first=int(str(f.get("desde", 0))),
        last=int(str(f.get("hasta", 0))),
        reason=str(f.get("motivo", "")),
    )


def _recibo_cancelled(signed: SifenEventSigned) -> list[Message]:
    """A recibo digital is never sent to SIFEN (facturasend-api §2.4), nor is its cancelación: we
    record it ourselves; the signed event XML stays as the request artifact."""
    assert signed.document_id is not None and signed.cdc is not None
    return [
        SifenEventAccepted(
            event_id=signed.event_id,
            kind=signed.kind,
            document_id=signed.document_id,
            cdc=signed.cdc,
            sifen_code="0600",
            sifen_message=RECIBO_CANCELLED,
            processed_at=datetime.now(UTC),
            request_sha256=signed.signed_sha256,
        ),
        DocumentCancelled(
            document_id=signed.document_id,
            cdc=signed.cdc,
            event_id=signed.event_id,
            reason=str(signed.fields.get("motivo", "")),
        ),
    ]


async def on_sifen_event_signed(envelope: Envelope, message: Message, deps: EventSenderDeps) -> Effects:
    assert isinstance(message, SifenEventSigned)
    signed = message
    assert envelope.stream is not None
    if is_recibo_cancellation(signed.kind, signed.cdc) and signed.document_id is not None:
        version = await deps.store.stream_version(envelope.stream)
        return Effects(appends=[Append(envelope.stream, version, _recibo_cancelled(signed))])
    xml = await deps.artifacts.get(signed.signed_sha256)
    events: list[Message]
    try:
        reply = await deps.sifen.send_event(envelope.tenant_id, xml)
    except SifenRefused as exc:  # SIFEN answered, refusing the request as a whole
        request_sha = await deps.artifacts.put(exc.exchange.request_xml, MEDIA_XML) if exc.exchange else None
        events = [
            SifenEventRejected(
                event_id=signed.event_id,
                kind=signed.kind,
                document_id=signed.document_id,
                cdc=signed.cdc,
                sifen_code=exc.code,
                sifen_message=exc.message,
                request_sha256=request_sha,
            )
        ]
    else:
        request_sha = await deps.artifacts.put(reply.exchange.request_xml, MEDIA_XML)
        response_sha = await deps.artifacts.put(reply.exchange.response_xml, MEDIA_XML)
        if not reply.accepted and reply.code in DUPLICATE_CODES and signed.cdc:
            protocol = await deps.sifen.registered_event(envelope.tenant_id, signed.cdc, signed.sifen_id)
            if protocol is not None:  # a resend of our own registered event: it is accepted
                reply = dataclasses.replace(
                    reply, accepted=True, code="0600", message="Evento registrado (confirmado por consulta)",
                    protocol=protocol or reply.protocol,
                )  # fmt: skip
        if reply.accepted:
            events = [
                SifenEventAccepted(
                    event_id=signed.event_id,
                    kind=signed.kind,
                    document_id=signed.document_id,
                    cdc=signed.cdc,
                    sifen_code=reply.code,
                    sifen_message=reply.message,
                    protocol=reply.protocol,
                    processed_at=reply.processed_at,
                    request_sha256=request_sha,
                    response_sha256=response_sha,
                )
            ]
            if signed.kind == "cancelacion" and signed.document_id is not None and signed.cdc:
                events.append(
                    DocumentCancelled(
                        document_id=signed.document_id,
                        cdc=signed.cdc,
                        event_id=signed.event_id,
                        protocol=reply.protocol,
                        reason=str(signed.fields.get("motivo", "")),
                    )
                )
            if signed.kind == "inutilizacion":
                events.append(_range(signed))
        else:
            events = [
                SifenEventRejected(
                    event_id=signed.event_id,
                    kind=signed.kind,
                    document_id=signed.document_id,
                    cdc=signed.cdc,
                    sifen_code=reply.code,
                    sifen_message=reply.message,
                    processed_at=reply.processed_at,
                    request_sha256=request_sha,
                    response_sha256=response_sha,
                )
            ]
    assert envelope.stream is not None
    version = await deps.store.stream_version(envelope.stream)
    return Effects(appends=[Append(envelope.stream, version, events)])
