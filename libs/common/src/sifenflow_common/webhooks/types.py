"""Webhook event types a subscription can ask for, and the internal event each comes from."""

from __future__ import annotations

DOCUMENT_APPROVED = "document.approved"
DOCUMENT_REJECTED = "document.rejected"
DOCUMENT_CANCELLED = "document.cancelled"
LOTE_COMPLETED = "lote.completed"
EVENT_ACCEPTED = "event.accepted"
EVENT_REJECTED = "event.rejected"
BULK_COMPLETED = "bulk.completed"
CERTIFICATE_EXPIRING = "certificate.expiring"

WEBHOOK_EVENT_TYPES: tuple[str, ...] = (
    DOCUMENT_APPROVED,
    DOCUMENT_REJECTED,
    DOCUMENT_CANCELLED,
    LOTE_COMPLETED,
    EVENT_ACCEPTED,
    EVENT_REJECTED,
    BULK_COMPLETED,
    CERTIFICATE_EXPIRING,
)
