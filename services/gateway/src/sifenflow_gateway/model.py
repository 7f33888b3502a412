"""What the gateway accepts and answers about documents (plain data, no I/O)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sifenflow_common.tenants.model import Tenant

# FacturaSend `situacion` codes and labels (facturasend-api.md §4.1).
SITUACION_LABELS: dict[int, str] = {
    -1: "Borrador",
    0: "Generado",
    1: "Enviado",
    2: "Aprobado",
    3: "Aprobado con observación",
    4: "Rechazado",
    97: "Inutilizado",
    98: "Inexistente",
    99: "Cancelado",
}
DISCARDED_LABEL = "Descartado"  # a draft whose lote was rejected (draft-reject): never sent
FINAL_SITUACIONES = frozenset({2, 3, 4, 99})


@dataclass(frozen=True, slots=True)
class PendingDocument:
    """A validated document waiting for its number and CDC."""

    data: dict[str, Any]  # FacturaSend `data`, normalised (fecha, codigoSeguridadAleatorio filled)
    tipo_documento: int
    establecimiento: str
    punto: str
    numero: int | None  # None: allocate the next number
    content_hash: str  # of the body the client sent: a retry with the same number is recognised


@dataclass(frozen=True, slots=True)
class IntakeRequest:
    tenant: Tenant
    documents: list[PendingDocument]
    finalize: Callable[[dict[str, Any]], str]  # data with numero -> CDC (MT v150 §10.1)
    idem_key: str | None = None
    request_hash: str = ""
    draft: bool = False
    sync: bool = False
    correlation_id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True, slots=True)
class AcceptedDocument:
    id: int  # FacturaSend-style numeric id (de/id/{id})
    document_id: uuid.UUID  # stream document-<uuid>
    lote_id: int
    cdc: str
    tipo_documento: int
    establecimiento: str
    punto: str
    numero: int
    situacion: int
    data: dict[str, Any]
    created_at: datetime | None = None
    is_borrado: bool = False  # its draft lote was discarded (draft-reject)

    @property
    def numero_text(self) -> str:
        return f"{self.establecimiento}-{self.punto}-{self.numero:07d}"


@dataclass(frozen=True, slots=True)
class IntakeResult:
    lote_id: int
    documents: list[AcceptedDocument]
    replayed: bool = False  # answered from a stored Idempotency-Key result


@dataclass(frozen=True, slots=True)
class DocumentStatus:
    """Where the pipeline is with a document (read model of the event store)."""

    situacion: int
    respuesta_codigo: str | None = None
    respuesta_mensaje: str | None = None
    fecha_proceso: str | None = None
    xml: str | None = None  # signed rDE
    qr: str | None = None  # dCarQR content
    sifen_reply: dict[str, Any] | None = None  # rRetEnviDe as JSON (sync reception)


@dataclass(frozen=True, slots=True)
class BulkBatch:
    id: uuid.UUID
    tenant_id: uuid.UUID
    status: str  # recibido | procesando | completado | fallido
    total: int
    accepted: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    lote_ids: list[int] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)  # accepted lines: what was ignored
    created_at: datetime | None = None
    finished_at: datetime | None = None
    source_sha256: str | None = None  # the NDJSON as received (artifact): a restart resumes from it


@dataclass(frozen=True, slots=True)
class BulkLine:
    """The outcome of one NDJSON line of a bulk batch (``estado`` aceptado | fallido)."""

    line: int
    estado: str
    document_id: int | None = None
    lote_id: int | None = None
    cdc: str | None = None
    numero: str | None = None  # 001-001-0000001
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BulkCounts:
    accepted: int
    failed: int
    lote_ids: list[int]


class DocumentContentError(Exception):
    """The database refused a value of the document (e.g. NaN or Infinity inside a JSON field): the
    same document fails the same way every time, so it is reported, never retried."""


class NumberReusedError(Exception):
    def __init__(self, index: int, numero: int) -> None:
        super().__init__(f"numero {numero} already used")
        self.index = index
        self.numero = numero


class CdcInUseError(NumberReusedError):
    """The CDC a document would get is another document's (two companies sharing a RUC): refused
    before anything commits, so the number is not used either."""

    def __init__(self, index: int, numero: int, cdc: str) -> None:
        super().__init__(index, numero)
        self.cdc = cdc


class IdempotencyKeyReusedError(Exception):
    """The Idempotency-Key was used before with a different request body."""


class DraftNotFoundError(Exception):
    """No draft lote with that id in this tenant."""
