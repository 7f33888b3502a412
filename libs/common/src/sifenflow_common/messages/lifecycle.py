"""Events after approval: SIFEN events (cancelación, inutilización, receptor events), bulk
completion and certificate expiry. Streams: ``document-<uuid>`` for events about one document,
``range-<uuid>`` for an inutilización, ``tenant-<uuid>`` for tenant-wide facts."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from sifenflow_common.messages.envelope import Event
from sifenflow_common.messages.events import Issue

Sha256 = str


class SifenEventRequested(Event):
    """An event (MT §11: cancelación, inutilización, conformidad, …) accepted by the gateway;
    ``fields`` are the event group's fields as the request gave them (validated there)."""

    TYPE: ClassVar[str] = "sifen_event.requested"
    event_id: UUID
    sifen_id: int  # rEve/@Id (1-10 digits), from the sifen_event_ids sequence
    kind: str  # cancelacion | inutilizacion | conformidad | disconformidad | desconocimiento | ...
    document_id: UUID | None = None  # our own document (issuer events), else None
    cdc: str | None = None
    fields: dict[str, object]


class SifenEventSigned(Event):
    """The signer built and signed the event (``rGesEve`` artifact) for the sender."""

    TYPE: ClassVar[str] = "sifen_event.signed"
    event_id: UUID
    sifen_id: int
    kind: str
    document_id: UUID | None = None
    cdc: str | None = None
    fields: dict[str, object]
    signed_sha256: Sha256


class SifenEventAccepted(Event):
    """SIFEN registered the event (0600)."""

    TYPE: ClassVar[str] = "event.accepted"
    event_id: UUID
    kind: str
    document_id: UUID | None = None
    cdc: str | None = None
    sifen_code: str
    sifen_message: str
    protocol: str | None = None
    processed_at: datetime | None = None
    request_sha256: Sha256 | None = None
    response_sha256: Sha256 | None = None


class SifenEventRejected(Event):
    TYPE: ClassVar[str] = "event.rejected"
    event_id: UUID
    kind: str
    document_id: UUID | None = None
    cdc: str | None = None
    sifen_code: str
    sifen_message: str
    sent: bool = True  # False: refused before SIFEN (invalid body, no certificate)
    issues: tuple[Issue, ...] = ()
    processed_at: datetime | None = None
    request_sha256: Sha256 | None = None
    response_sha256: Sha256 | None = None


class DocumentCancelled(Event):
    """The document's cancelación was registered by SIFEN (stream ``document-<id>``)."""

    TYPE: ClassVar[str] = "document.cancelled"
    document_id: UUID
    cdc: str
    event_id: UUID
    protocol: str | None = None
    reason: str


class RangeVoided(Event):
    """An inutilización was registered: numbers ``first..last`` are inutilizados."""

    TYPE: ClassVar[str] = "range.voided"
    event_id: UUID
    timbrado: str
    establishment: str
    expedition_point: str
    document_type: int
    first: int
    last: int
    reason: str


class BulkCompleted(Event):
    TYPE: ClassVar[str] = "bulk.completed"
    batch_id: UUID
    total: int
    accepted: int
    failed: int


class CertificateExpiring(Event):
    """The tenant's signing certificate expires in ``days_left`` days (sent at 30, 7 and 1)."""

    TYPE: ClassVar[str] = "certificate.expiring"
    not_after: datetime
    days_left: int
    threshold: int
    checked_on: date


LIFECYCLE_EVENTS: tuple[type[Event], ...] = (
    SifenEventRequested,
    SifenEventSigned,
    SifenEventAccepted,
    SifenEventRejected,
    DocumentCancelled,
    RangeVoided,
    BulkCompleted,
    CertificateExpiring,
)
