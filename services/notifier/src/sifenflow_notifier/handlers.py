"""Lifecycle events → webhook deliveries. The handler only queues (one INSERT); sending is the
dispatcher's job, so a slow or dead subscriber never holds a delivery of the pipeline's bus."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sifenflow_common.messages.envelope import Envelope, Message
from sifenflow_common.messages.events import DocumentApproved, DocumentRejected, LotePolled
from sifenflow_common.messages.lifecycle import (
    BulkCompleted,
    CertificateExpiring,
    DocumentCancelled,
    SifenEventAccepted,
    SifenEventRejected,
)
from sifenflow_common.messages.registry import MessageRegistry
from sifenflow_common.webhooks import types as wt
from sifenflow_common.webhooks.model import NewDelivery, Subscription
from sifenflow_common.webhooks.payload import body, delivery_id
from sifenflow_notifier.ports import DeliveryQueue

StreamReader = Callable[[str], Awaitable[list[Envelope]]]
LOTE_CONCLUDED = "0362"  # siResultLoteDE: procesamiento concluido (MT v150 §12.3.3)


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    type: str
    data: dict[str, Any]


def _document(msg: DocumentApproved | DocumentRejected, estado: str, situacion: int) -> dict[str, Any]:
    return {
        "documentId": str(msg.document_id),
        "cdc": msg.cdc,
        "estado": estado,
        "situacion": situacion,
        "respuesta_codigo": msg.sifen_code,
        "respuesta_mensaje": msg.sifen_message,
        "loteId": str(msg.lote_id) if msg.lote_id else None,
    }


def webhook_event(msg: Message) -> WebhookEvent | None:
    """The webhook a lifecycle event becomes, or None when it is not one subscribers see."""
    if isinstance(msg, DocumentApproved):
        estado, situacion = ("Aprobado con observación", 3) if msg.with_observation else ("Aprobado", 2)
        data = _document(msg, estado, situacion)
        data["protocolo"] = msg.protocol
        return WebhookEvent(wt.DOCUMENT_APPROVED, data)
    if isinstance(msg, DocumentRejected):
        return WebhookEvent(wt.DOCUMENT_REJECTED, _document(msg, "Rechazado", 4))
    if isinstance(msg, DocumentCancelled):
        return WebhookEvent(
            wt.DOCUMENT_CANCELLED,
            {
                "documentId": str(msg.document_id),
                "cdc": msg.cdc,
                "estado": "Cancelado",
                "situacion": 99,
                "protocolo": msg.protocol,
                "motivo": msg.reason,
            },
        )
    if isinstance(msg, LotePolled):
        if msg.sifen_code != LOTE_CONCLUDED:
            return None
        approved = sum(1 for r in msg.results if r.status.startswith("Aprobado"))
        return WebhookEvent(
            wt.LOTE_COMPLETED,
            {
                "loteId": str(msg.lote_id),
                "respuesta_codigo": msg.sifen_code,
                "respuesta_mensaje": msg.sifen_message,
                "aprobados": approved,
                "rechazados": len(msg.results) - approved,
                "deList": [
                    {"cdc": r.cdc, "estado": r.status, "respuesta_codigo": r.sifen_code} for r in msg.results
                ],
            },
        )
    if isinstance(msg, SifenEventAccepted | SifenEventRejected):
        kind = wt.EVENT_ACCEPTED if isinstance(msg, SifenEventAccepted) else wt.EVENT_REJECTED
        data = {
            "eventoId": str(msg.event_id),
            "tipo": msg.kind,
            "cdc": msg.cdc,
            "respuesta_codigo": msg.sifen_code,
            "respuesta_mensaje": msg.sifen_message,
        }
        if isinstance(msg, SifenEventAccepted):
            data["protocolo"] = msg.protocol
        return WebhookEvent(kind, data)
    if isinstance(msg, BulkCompleted):
        return WebhookEvent(
            wt.BULK_COMPLETED,
            {
                "batchId": str(msg.batch_id),
                "total": msg.total,
                "aceptados": msg.accepted,
                "fallidos": msg.failed,
            },
        )
    if isinstance(msg, CertificateExpiring):
        return WebhookEvent(
            wt.CERTIFICATE_EXPIRING,
            {
                "vence": msg.not_after.isoformat(),
                "diasRestantes": msg.days_left,
                "umbral": msg.threshold,
            },
        )
    return None


SOURCE_TYPES: tuple[str, ...] = (
    DocumentApproved.TYPE,
    DocumentRejected.TYPE,
    DocumentCancelled.TYPE,
    LotePolled.TYPE,
    SifenEventAccepted.TYPE,
    SifenEventRejected.TYPE,
    BulkCompleted.TYPE,
    CertificateExpiring.TYPE,
)


def _deliveries(
    envelope: Envelope, event: WebhookEvent, subscriptions: list[Subscription]
) -> list[NewDelivery]:
    out = []
    for sub in subscriptions:
        if envelope.occurred_at < sub.created_at:
            continue  # a subscription only sees events from its creation on
        did = delivery_id(sub.id, envelope.message_id)
        out.append(
            NewDelivery(
                id=did,
                subscription_id=sub.id,
                tenant_id=envelope.tenant_id,
                event_type=event.type,
                source_message_id=envelope.message_id,
                # one document's deliveries go out in stream order; other events need no order
                ordering_key=envelope.stream if envelope.stream and envelope.stream_version else str(did),
                position=envelope.stream_version or 0,
                body=body(
                    delivery=did,
                    event_type=event.type,
                    tenant_id=envelope.tenant_id,
                    occurred_at=envelope.occurred_at,
                    data=event.data,
                ),
            )
        )
    return out


async def on_lifecycle_event(
    envelope: Envelope,
    *,
    queue: DeliveryQueue,
    registry: MessageRegistry,
    read_stream: StreamReader | None = None,
) -> int:
    """Queue one delivery per matching subscription; returns how many were new.

    Events of one document travel on different queues (one per type), so a later event can arrive
    first. For a document stream the handler therefore also queues every earlier webhook event of
    that stream (read from the event store) in the same insert, ordered by stream version: the
    dispatcher sends them in that order, and the unique key drops what was already queued."""
    sources: list[Envelope] = [envelope]
    if (
        read_stream is not None
        and envelope.stream
        and envelope.stream_version
        and envelope.stream.startswith("document-")
    ):
        earlier = await read_stream(envelope.stream)
        sources = [e for e in earlier if (e.stream_version or 0) < envelope.stream_version] + [envelope]
    deliveries: list[NewDelivery] = []
    for source in sources:
        if source.type not in SOURCE_TYPES:
            continue
        event = webhook_event(registry.parse(source))
        if event is None:
            continue
        subscriptions = await queue.matching(source.tenant_id, event.type)
        deliveries += _deliveries(source, event, subscriptions)
    if not deliveries:
        return 0
    return await queue.enqueue(deliveries)
