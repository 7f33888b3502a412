"""Request envelopes of the six SIFEN services: built by the client, read back by the simulator.

Bodies follow the WS_*.xsd schemas (MT v150 §7.10, sifen-protocol.md §2). Signed documents and
events are spliced in byte for byte (their XML declaration removed), never re-serialized, so the
signature stays over exactly what the signer produced (§6.3).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence

from lxml import etree

from sifenflow_common.sifen.namespaces import SIFEN_NS
from sifenflow_common.sifen.soap.envelope import (
    SoapParseError,
    SoapProblem,
    body_element,
    child,
    child_text,
    children,
    local_name,
    strip_declaration,
    wrap,
)
from sifenflow_common.sifen.soap.lote import encode_lote
from sifenflow_common.sifen.soap.models import (
    ConsultaDeRequest,
    ConsultaLoteRequest,
    ConsultaRucRequest,
    Operation,
    RecepcionDeRequest,
    RecepcionEventoRequest,
    RecepcionLoteRequest,
    SifenRequest,
)

_NS = SIFEN_NS.encode()
_CDC_RE = re.compile(r"^[0-9]{2}[0-9]{7}[0-9A-D][0-9]{34}$")
_RUC_RE = re.compile(r"^[1-9][0-9]*[0-9A-D]?$")
MAX_D_ID = 999_999_999_999_999


class RequestError(ValueError):
    """Invalid request parameters (caller bug): stable UPPER_SNAKE ``code`` + Spanish message."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def _d_id(value: int) -> bytes:
    if not 1 <= value <= MAX_D_ID:
        raise RequestError("DID_INVALIDO", f"dId debe tener entre 1 y 15 dígitos: {value}")
    return str(value).encode()


def _body(root: str, inner: bytes) -> bytes:
    return b"<" + root.encode() + b' xmlns="' + _NS + b'">' + inner + b"</" + root.encode() + b">"


def _escape(value: str) -> bytes:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()


def build_recepcion_de(d_id: int, rde_xml: bytes) -> bytes:
    """``rEnviDe``: one signed rDE inline in ``xDE`` (siRecepDE)."""
    rde = strip_declaration(rde_xml)
    if not rde.startswith(b"<"):
        raise RequestError("XDE_INVALIDO", "xDE debe contener un elemento rDE")
    return wrap(_body("rEnviDe", b"<dId>" + _d_id(d_id) + b"</dId><xDE>" + rde + b"</xDE>"))


def build_recepcion_lote(d_id: int, rde_xmls: Sequence[bytes]) -> bytes:
    """``rEnvioLote``: base64 of a ZIP of ``rLoteDE`` with 1-50 signed rDE of one type."""
    encoded = encode_lote(rde_xmls).encode("ascii")
    return wrap(_body("rEnvioLote", b"<dId>" + _d_id(d_id) + b"</dId><xDE>" + encoded + b"</xDE>"))


def build_consulta_lote(d_id: int, lote_number: int) -> bytes:
    """``rEnviConsLoteDe``: result of a lote by ``dProtConsLote`` (siResultLoteDE)."""
    if lote_number < 0:
        raise RequestError("LOTE_INVALIDO", f"Número de lote inválido: {lote_number}")
    inner = (
        b"<dId>" + _d_id(d_id) + b"</dId><dProtConsLote>" + str(lote_number).encode() + b"</dProtConsLote>"
    )
    return wrap(_body("rEnviConsLoteDe", inner))


def build_consulta_de(d_id: int, cdc: str) -> bytes:
    """``rEnviConsDeRequest``: a DE by its CDC (siConsDE)."""
    if not _CDC_RE.match(cdc):
        raise RequestError("CDC_INVALIDO", f"CDC inválido (44 caracteres): {cdc!r}")
    inner = b"<dId>" + _d_id(d_id) + b"</dId><dCDC>" + cdc.encode() + b"</dCDC>"
    return wrap(_body("rEnviConsDeRequest", inner))


def build_consulta_ruc(d_id: int, ruc: str) -> bytes:
    """``rEnviConsRUC``: a taxpayer by RUC without DV (siConsRUC); ``80069563-1`` is accepted too."""
    value = ruc.strip().split("-", 1)[0]
    if not (5 <= len(value) <= 8 and _RUC_RE.match(value)):
        raise RequestError("RUC_INVALIDO", f"RUC inválido (sin DV, 5 a 8 caracteres): {ruc!r}")
    inner = b"<dId>" + _d_id(d_id) + b"</dId><dRUCCons>" + _escape(value) + b"</dRUCCons>"
    return wrap(_body("rEnviConsRUC", inner))


def build_recepcion_evento(d_id: int, ges_eve_xmls: Sequence[bytes]) -> bytes:
    """``rEnviEventoDe``: 1-15 signed ``rGesEve`` (each rEve + Signature) in ``dEvReg/gGroupGesEve``.

    An item may also be a whole ``gGroupGesEve`` (as the event builder may produce it); then it is
    the only item and is spliced as is.
    """
    if not 1 <= len(ges_eve_xmls) <= 15:
        raise RequestError("EVENTOS_CANTIDAD", "Se envían de 1 a 15 eventos por solicitud")
    items = [strip_declaration(x) for x in ges_eve_xmls]
    if len(items) == 1 and re.match(rb"<(?:[\w.-]+:)?gGroupGesEve[\s>]", items[0]):
        group = items[0]
    else:
        group = b"<gGroupGesEve>" + b"".join(items) + b"</gGroupGesEve>"
    inner = b"<dId>" + _d_id(d_id) + b"</dId><dEvReg>" + group + b"</dEvReg>"
    return wrap(_body("rEnviEventoDe", inner))


# ---------------------------------------------------------------- reading (simulator side)


class RequestParseError(ValueError):
    """A request the simulator cannot read; ``code`` is the SIFEN code to answer with."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def request_body(data: bytes) -> etree._Element:
    """The body element of a request, mapping unreadable input to SIFEN 0160 (XML malformado)."""
    try:
        return body_element(data)
    except SoapParseError as exc:
        if exc.problem is SoapProblem.EMPTY:
            raise RequestParseError("0160", "XML malformado: mensaje vacío") from exc
        raise RequestParseError("0160", f"XML malformado: {exc.detail}") from exc


def _int_field(body: etree._Element, name: str, *, required: bool = True) -> int | None:
    value = child_text(body, name)
    if value is None:
        if required:
            raise RequestParseError("0160", f"XML malformado: falta {name}")
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise RequestParseError("0160", f"XML malformado: {name} no es numérico") from exc


def parse_request(body: etree._Element, operation: Operation) -> SifenRequest:
    """Typed request from a body element already checked to be ``operation``'s root."""
    name = local_name(body)
    if name != operation.value:
        raise RequestParseError("0101", f"Elemento raíz esperado {operation.value}, recibido {name}")
    d_id = _int_field(body, "dId")
    assert d_id is not None
    if operation is Operation.RECEPCION_DE:
        xde = child(body, "xDE")
        rde = child(xde, "rDE") if xde is not None else None
        if rde is None:
            raise RequestParseError("0160", "XML malformado: xDE no contiene rDE")
        return RecepcionDeRequest(d_id=d_id, rde=rde)
    if operation is Operation.RECEPCION_LOTE:
        encoded = child_text(body, "xDE") or ""
        try:
            zip_bytes = base64.b64decode(encoded, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise RequestParseError("0160", "XML malformado: xDE no es base64") from exc
        return RecepcionLoteRequest(d_id=d_id, zip_bytes=zip_bytes)
    if operation is Operation.CONSULTA_LOTE:
        return ConsultaLoteRequest(
            d_id=d_id,
            lote_number=_int_field(body, "dProtConsLote", required=False),
            cdc=child_text(body, "dCDC"),
        )
    if operation is Operation.CONSULTA_DE:
        return ConsultaDeRequest(d_id=d_id, cdc=child_text(body, "dCDC") or "")
    if operation is Operation.CONSULTA_RUC:
        return ConsultaRucRequest(d_id=d_id, ruc=child_text(body, "dRUCCons") or "")
    ev_reg = child(body, "dEvReg")
    group = child(ev_reg, "gGroupGesEve") if ev_reg is not None else None
    if group is None:
        raise RequestParseError("0160", "XML malformado: falta dEvReg/gGroupGesEve")
    return RecepcionEventoRequest(d_id=d_id, events=tuple(children(group, "rGesEve")))
