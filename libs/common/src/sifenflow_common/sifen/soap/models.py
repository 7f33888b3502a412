"""Typed requests and results of the six SIFEN web services (MT v150 §7-§12, sifen-protocol.md §2).

English names; each field's docstring-comment gives the XSD element it comes from. These are plain
frozen dataclasses: the client returns them, the simulator builds its answers from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from lxml import etree


class Operation(StrEnum):
    """The six operations, named after the request body root (MT v150 §7.10)."""

    RECEPCION_DE = "rEnviDe"
    RECEPCION_LOTE = "rEnvioLote"
    CONSULTA_LOTE = "rEnviConsLoteDe"
    CONSULTA_DE = "rEnviConsDeRequest"
    CONSULTA_RUC = "rEnviConsRUC"
    RECEPCION_EVENTO = "rEnviEventoDe"


# Response body root of each operation (WS_*.xsd).
RESPONSE_ROOT: dict[Operation, str] = {
    Operation.RECEPCION_DE: "rRetEnviDe",
    Operation.RECEPCION_LOTE: "rResEnviLoteDe",
    Operation.CONSULTA_LOTE: "rResEnviConsLoteDe",
    Operation.CONSULTA_DE: "rEnviConsDeResponse",
    Operation.CONSULTA_RUC: "rResEnviConsRUC",
    Operation.RECEPCION_EVENTO: "rRetEnviEventoDe",
}

# URL path of each operation (WSDL soap12:address; POST without ?wsdl, sifen-protocol.md §1.1).
PATHS: dict[Operation, str] = {
    Operation.RECEPCION_DE: "/de/ws/sync/recibe.wsdl",
    Operation.RECEPCION_LOTE: "/de/ws/async/recibe-lote.wsdl",
    Operation.CONSULTA_LOTE: "/de/ws/consultas/consulta-lote.wsdl",
    Operation.CONSULTA_DE: "/de/ws/consultas/consulta.wsdl",
    Operation.CONSULTA_RUC: "/de/ws/consultas/consulta-ruc.wsdl",
    Operation.RECEPCION_EVENTO: "/de/ws/eventos/evento.wsdl",
}


class EstadoResultado(StrEnum):
    """``dEstRes`` values (MT v150 §3 of the digest)."""

    APROBADO = "Aprobado"
    APROBADO_CON_OBSERVACION = "Aprobado con observación"
    RECHAZADO = "Rechazado"


def is_approved(status: str | None) -> bool:
    """Approval is decided by ``dEstRes`` (never by code): "Aprobado" or "Aprobado con observación"."""
    return bool(status) and str(status).strip().lower().startswith("aprobado")


@dataclass(frozen=True, slots=True)
class ResultMessage:
    code: str  # gResProc/dCodRes
    message: str  # gResProc/dMsgRes


# ---------------------------------------------------------------- results (responses)


@dataclass(frozen=True, slots=True)
class ProtDe:
    """``rRetEnviDe/rProtDe``: result of one DE (siRecepDE)."""

    cdc: str | None  # Id
    processed_at: datetime | None  # dFecProc
    digest_value: str | None  # dDigVal
    status: str | None  # dEstRes
    protocol: int | None  # dProtAut
    messages: tuple[ResultMessage, ...] = ()  # gResProc

    @property
    def approved(self) -> bool:
        return is_approved(self.status)

    @property
    def code(self) -> str | None:
        return self.messages[0].code if self.messages else None


@dataclass(frozen=True, slots=True)
class RecepcionLoteResult:
    """``rResEnviLoteDe`` (siRecepLoteDE)."""

    processed_at: datetime | None  # dFecProc
    code: str | None  # dCodRes: 0300 received, 0301 not queued
    message: str | None  # dMsgRes
    lote_number: int | None  # dProtConsLote
    avg_processing_seconds: int | None  # dTpoProces

    @property
    def accepted(self) -> bool:
        return self.code == "0300"


@dataclass(frozen=True, slots=True)
class LoteDeResult:
    """``gResProcLote``: one DE of a processed lote."""

    cdc: str  # id
    status: str  # dEstRes
    protocol: int | None  # dProtAut
    messages: tuple[ResultMessage, ...] = ()  # gResProc

    @property
    def approved(self) -> bool:
        return is_approved(self.status)

    @property
    def code(self) -> str | None:
        return self.messages[0].code if self.messages else None


@dataclass(frozen=True, slots=True)
class ConsultaLoteResult:
    """``rResEnviConsLoteDe`` (siResultLoteDE)."""

    processed_at: datetime | None  # dFecProc (may be empty while in process)
    code: str  # dCodResLot: 0360 unknown, 0361 in process, 0362 concluded, 0363 mixed types, 0340
    message: str  # dMsgResLot
    results: tuple[LoteDeResult, ...] = ()  # gResProcLote

    @property
    def in_process(self) -> bool:
        return self.code == "0361"

    @property
    def concluded(self) -> bool:
        return self.code == "0362"


@dataclass(frozen=True, slots=True)
class ContenidoDE:
    """``xContenDE`` parsed a second time: ``rContDe`` = rDE (the DTE), dProtAut, event containers."""

    rde_xml: bytes | None
    protocol: int | None
    events: tuple[bytes, ...] = ()  # each rContEv serialized
    raw: str = ""


@dataclass(frozen=True, slots=True)
class ConsultaDeResult:
    """``rEnviConsDeResponse`` (siConsDE)."""

    processed_at: datetime | None
    code: str  # 0420 not found, 0421 no permission, 0422 found
    message: str
    content: ContenidoDE | None = None

    @property
    def found(self) -> bool:
        return self.code == "0422"


@dataclass(frozen=True, slots=True)
class ContribuyenteRuc:
    """``xContRUC``."""

    ruc: str  # dRUCCons
    razon_social: str  # dRazCons
    estado_code: str  # dCodEstCons (ACT, SUS, SAD, BLQ, CAN, CDE)
    estado: str  # dDesEstCons
    factura_electronica: bool  # dRUCFactElec == "S"


@dataclass(frozen=True, slots=True)
class ConsultaRucResult:
    """``rResEnviConsRUC`` (siConsRUC)."""

    code: str  # 0500 no existe, 0501 sin permiso, 0502 encontrado
    message: str
    contribuyente: ContribuyenteRuc | None = None

    @property
    def found(self) -> bool:
        return self.code == "0502"


@dataclass(frozen=True, slots=True)
class EventoResult:
    """``gResProcEVe``: one event of a siRecepEvento request."""

    event_id: str  # id (rEve/@Id)
    status: str  # dEstRes
    protocol: int | None  # dProtAut (when 0600)
    messages: tuple[ResultMessage, ...] = ()

    @property
    def accepted(self) -> bool:
        return is_approved(self.status)

    @property
    def code(self) -> str | None:
        return self.messages[0].code if self.messages else None


@dataclass(frozen=True, slots=True)
class RecepcionEventoResult:
    """``rRetEnviEventoDe`` (siRecepEvento)."""

    processed_at: datetime | None
    results: tuple[EventoResult, ...] = ()


SifenResult = (
    ProtDe
    | RecepcionLoteResult
    | ConsultaLoteResult
    | ConsultaDeResult
    | ConsultaRucResult
    | RecepcionEventoResult
)


# ---------------------------------------------------------------- requests (simulator side)


@dataclass(frozen=True, slots=True)
class RecepcionDeRequest:
    d_id: int
    rde: etree._Element = field(repr=False)  # the rDE inside xDE


@dataclass(frozen=True, slots=True)
class RecepcionLoteRequest:
    d_id: int
    zip_bytes: bytes = field(repr=False)  # decoded xDE (application/zip)


@dataclass(frozen=True, slots=True)
class ConsultaLoteRequest:
    d_id: int
    lote_number: int | None
    cdc: str | None = None


@dataclass(frozen=True, slots=True)
class ConsultaDeRequest:
    d_id: int
    cdc: str


@dataclass(frozen=True, slots=True)
class ConsultaRucRequest:
    d_id: int
    ruc: str


@dataclass(frozen=True, slots=True)
class RecepcionEventoRequest:
    d_id: int
    events: tuple[etree._Element, ...] = field(repr=False)  # each rGesEve


SifenRequest = (
    RecepcionDeRequest
    | RecepcionLoteRequest
    | ConsultaLoteRequest
    | ConsultaDeRequest
    | ConsultaRucRequest
    | RecepcionEventoRequest
)
