"""Document lifecycle events (past tense). Streams: ``document-<uuid>``, ``lote-<uuid>``.

Hashes (``*_sha256``) are keys of the content-addressed artifact store; XML never travels here.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from sifenflow_common.messages.envelope import Event

Sha256 = str  # 64 lower-case hex digits


class Issue(BaseModel):
    """A rejected field: stable UPPER_SNAKE code, JSON path, Spanish message."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str
    path: str
    message: str


class DocumentRequested(Event):
    """The gateway accepted a document request (stream ``document-<document_id>``)."""

    TYPE: ClassVar[str] = "document.requested"
    document_id: UUID
    document_type: int  # iTiDE: 1 factura, 4 autofactura, 5 nota de crédito, 6 nota de débito, 7 remisión
    establishment: str  # dEst, 3 digits
    expedition_point: str  # dPunExp, 3 digits
    number: str  # dNumDoc, 7 digits
    request_sha256: Sha256  # artifact: the request JSON as received
    external_id: str | None = None  # integrator's own id, if any
    sync: bool = False  # de/create (sync reception) vs lote


class DocumentBuilt(Event):
    TYPE: ClassVar[str] = "document.built"
    document_id: UUID
    cdc: str
    xml_sha256: Sha256  # unsigned rDE
    # Copied from document.requested so that later services need not read the stream to know it;
    # None in events recorded before the field existed.
    sync: bool | None = None


class DocumentBuildFailed(Event):
    TYPE: ClassVar[str] = "document.build_failed"
    document_id: UUID
    issues: tuple[Issue, ...] = ()


class DocumentSigned(Event):
    TYPE: ClassVar[str] = "document.signed"
    document_id: UUID
    cdc: str
    signed_xml_sha256: Sha256
    qr_url: str
    sync: bool | None = None  # from document.built (None: read document.requested)


class DocumentSigningFailed(Event):
    TYPE: ClassVar[str] = "document.signing_failed"
    document_id: UUID
    code: str
    message: str


class DocumentSubmissionStarted(Event):
    """Intent recorded before a sync reception (siRecepDE) call on stream ``document-<id>``: a retry
    that finds it without a result asks SIFEN (consulta DE) before sending the CDC again."""

    TYPE: ClassVar[str] = "document.submission_started"
    document_id: UUID
    cdc: str
    signed_xml_sha256: Sha256


class DocumentSentSync(Event):
    """Sync reception (siRecepDE) answered for one document (stream ``document-<id>``)."""

    TYPE: ClassVar[str] = "document.sent_sync"
    document_id: UUID
    cdc: str
    request_sha256: Sha256
    response_sha256: Sha256


class LoteDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    document_id: UUID
    cdc: str
    signed_xml_sha256: Sha256


class LoteSubmissionStarted(Event):
    """Intent recorded before the SOAP call (stream ``lote-<lote_id>``): a restart that finds it
    without a result asks SIFEN before any resend."""

    TYPE: ClassVar[str] = "lote.submission_started"
    lote_id: UUID
    document_type: int
    documents: tuple[LoteDocument, ...] = Field(min_length=1, max_length=50)
    request_sha256: Sha256


class LoteSubmitted(Event):
    TYPE: ClassVar[str] = "lote.submitted"
    lote_id: UUID
    sifen_code: str  # dCodRes: 0300 received, 0301 not queued
    sifen_message: str
    protocol: str | None = None  # dProtConsLote
    response_sha256: Sha256 | None = None


class LoteOutcomeUnknown(Event):
    """The lote's submission got no usable answer (timeout, dropped connection, a retry of an
    attempt that may have reached SIFEN): SIFEN may still be processing it. Nothing is resent in
    this state; a ``lote.reconcile`` after a pause longer than the client timeout decides."""

    TYPE: ClassVar[str] = "lote.outcome_unknown"
    lote_id: UUID
    reason: str


class LoteDocumentResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    document_id: UUID
    cdc: str
    status: str  # dEstRes as SIFEN spells it: "Aprobado", "Aprobado con observación", "Rechazado"
    sifen_code: str
    sifen_message: str


class LotePolled(Event):
    TYPE: ClassVar[str] = "lote.polled"
    lote_id: UUID
    sifen_code: str  # 0361 in process, 0362 concluded, 0364 extemporaneous
    sifen_message: str
    results: tuple[LoteDocumentResult, ...] = ()
    response_sha256: Sha256 | None = None


class DocumentApproved(Event):
    TYPE: ClassVar[str] = "document.approved"
    document_id: UUID
    cdc: str
    sifen_code: str  # 0260
    sifen_message: str
    with_observation: bool = False
    lote_id: UUID | None = None
    protocol: str | None = None  # dProtAut
    approved_at: datetime | None = None


class DocumentRejected(Event):
    TYPE: ClassVar[str] = "document.rejected"
    document_id: UUID
    cdc: str
    sifen_code: str
    sifen_message: str
    lote_id: UUID | None = None


class KudeRendered(Event):
    TYPE: ClassVar[str] = "kude.rendered"
    document_id: UUID
    cdc: str
    pdf_sha256: Sha256


class KudeEmailed(Event):
    TYPE: ClassVar[str] = "kude.emailed"
    document_id: UUID
    cdc: str
    to: tuple[str, ...]


ALL_EVENTS: tuple[type[Event], ...] = (
    DocumentRequested,
    DocumentBuilt,
    DocumentBuildFailed,
    DocumentSigned,
    DocumentSigningFailed,
    DocumentSubmissionStarted,
    DocumentSentSync,
    LoteSubmissionStarted,
    LoteSubmitted,
    LoteOutcomeUnknown,
    LotePolled,
    DocumentApproved,
    DocumentRejected,
    KudeRendered,
    KudeEmailed,
)
