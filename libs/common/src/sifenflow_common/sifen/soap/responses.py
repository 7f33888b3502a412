"""Response envelopes of the six SIFEN services: built by the simulator, parsed by the client.

Building uses the ``ns2:`` prefix SIFEN itself answers with. Parsing is namespace-agnostic (local
names only), reads ``dEstRes``/``dProtAut`` both where the XSD puts them (children of ``rProtDe``)
and where the MT example puts them (inside ``gResProc``), reads dates with or without offset, and
parses ``xContenDE`` (an escaped XML string) a second time (sifen-protocol.md §2.1-§2.6).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime

from lxml import etree

from sifenflow_common.sifen.namespaces import SIFEN_NS
from sifenflow_common.sifen.soap.envelope import (
    SoapFault,
    SoapParseError,
    SoapProblem,
    body_element,
    child,
    child_text,
    children,
    descendant,
    fault_of,
    local_name,
    parse_xml,
    strip_declaration,
    text,
    wrap,
)
from sifenflow_common.sifen.soap.models import (
    RESPONSE_ROOT,
    ConsultaDeResult,
    ConsultaLoteResult,
    ConsultaRucResult,
    ContenidoDE,
    ContribuyenteRuc,
    EventoResult,
    LoteDeResult,
    Operation,
    ProtDe,
    RecepcionEventoResult,
    RecepcionLoteResult,
    ResultMessage,
    SifenResult,
)

_S = f"{{{SIFEN_NS}}}"
_NSMAP = {"ns2": SIFEN_NS}


class SifenAnswerError(ValueError):
    """SIFEN answered, but not with the expected result: a SOAP Fault or another body with a code."""

    def __init__(self, root: str, code: str | None, message: str, fault: SoapFault | None = None) -> None:
        self.root = root
        self.code = code
        self.message = message
        self.fault = fault
        super().__init__(f"{code or '-'} {message}".strip())


# ---------------------------------------------------------------- dates


def format_fec(moment: datetime) -> str:
    """``fecUTC``: ``YYYY-MM-DDThh:mm:ss±hh:mm`` (aware datetime required)."""
    if moment.tzinfo is None:
        raise ValueError("dFecProc requires an aware datetime")
    return moment.replace(microsecond=0).isoformat()


_FEC_RE = re.compile(r"^(\d{4}-\d{2}-\d{2})[T\- ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_fec(value: str | None) -> datetime | None:
    """Lenient dFecProc: with/without offset, ``T`` or the MT's ``-`` separator; None when empty."""
    if not value:
        return None
    match = _FEC_RE.match(value.strip())
    if not match:
        return None
    day, clock, _fraction, offset = match.groups()
    iso = f"{day}T{clock}"
    if offset:
        iso += "+00:00" if offset == "Z" else offset if ":" in offset else f"{offset[:3]}:{offset[3:]}"
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None


# ---------------------------------------------------------------- building (simulator side)


def _root(name: str) -> etree._Element:
    return etree.Element(_S + name, nsmap=_NSMAP)


def _sub(parent: etree._Element, name: str, value: str | int | None = None) -> etree._Element:
    element = etree.SubElement(parent, _S + name)
    if value is not None:
        element.text = str(value)
    return element


def _messages(parent: etree._Element, messages: Sequence[ResultMessage]) -> None:
    for m in messages:
        group = _sub(parent, "gResProc")
        _sub(group, "dCodRes", m.code)
        _sub(group, "dMsgRes", m.message[:255])


def _envelope(root: etree._Element) -> bytes:
    return wrap(etree.tostring(root, encoding="utf-8"))


def build_recepcion_de_response(prot: ProtDe) -> bytes:
    root = _root("rRetEnviDe")
    rprot = _sub(root, "rProtDe")
    if prot.cdc:
        _sub(rprot, "Id", prot.cdc)
    _sub(rprot, "dFecProc", format_fec(prot.processed_at) if prot.processed_at else "")
    if prot.digest_value:
        _sub(rprot, "dDigVal", prot.digest_value)
    if prot.status:
        _sub(rprot, "dEstRes", prot.status)
    if prot.protocol is not None:
        _sub(rprot, "dProtAut", prot.protocol)
    _messages(rprot, prot.messages)
    return _envelope(root)


def build_recepcion_lote_response(result: RecepcionLoteResult) -> bytes:
    root = _root("rResEnviLoteDe")
    if result.processed_at:
        _sub(root, "dFecProc", format_fec(result.processed_at))
    if result.code:
        _sub(root, "dCodRes", result.code)
    if result.message:
        _sub(root, "dMsgRes", result.message[:255])
    if result.lote_number is not None:
        _sub(root, "dProtConsLote", result.lote_number)
    if result.avg_processing_seconds is not None:
        _sub(root, "dTpoProces", result.avg_processing_seconds)
    return _envelope(root)


def build_consulta_lote_response(result: ConsultaLoteResult) -> bytes:
    root = _root("rResEnviConsLoteDe")
    _sub(root, "dFecProc", format_fec(result.processed_at) if result.processed_at else "")
    _sub(root, "dCodResLot", result.code)
    _sub(root, "dMsgResLot", result.message[:255])
    for item in result.results:
        group = _sub(root, "gResProcLote")
        _sub(group, "id", item.cdc)
        _sub(group, "dEstRes", item.status)
        if item.protocol is not None:
            _sub(group, "dProtAut", item.protocol)
        _messages(group, item.messages[:5])  # tgResProcLote: 1-5 gResProc
    return _envelope(root)


def contenido_de_xml(rde_xml: bytes, protocol: int | None, events: Sequence[tuple[bytes, bytes]] = ()) -> str:
    """``rContDe`` text for ``xContenDE``: the DTE, its dProtAut and (event, answer) containers."""
    parts = [b'<rContDe xmlns="' + SIFEN_NS.encode() + b'">', strip_declaration(rde_xml)]
    if protocol is not None:
        parts.append(b"<dProtAut>" + str(protocol).encode() + b"</dProtAut>")
    for event_xml, answer_xml in events:
        parts.append(b"<xContEv><rContEv><xEvento>")
        parts.append(strip_declaration(event_xml))
        parts.append(b"</xEvento>")
        parts.append(strip_declaration(answer_xml))
        parts.append(b"</rContEv></xContEv>")
    parts.append(b"</rContDe>")
    return b"".join(parts).decode("utf-8")


def build_consulta_de_response(result: ConsultaDeResult) -> bytes:
    root = _root("rEnviConsDeResponse")
    _sub(root, "dFecProc", format_fec(result.processed_at) if result.processed_at else "")
    _sub(root, "dCodRes", result.code)
    _sub(root, "dMsgRes", result.message[:255])
    if result.content is not None:
        _sub(root, "xContenDE", result.content.raw)  # serialized escaped, as SIFEN does
    return _envelope(root)


def build_consulta_ruc_response(result: ConsultaRucResult) -> bytes:
    root = _root("rResEnviConsRUC")
    _sub(root, "dCodRes", result.code)
    _sub(root, "dMsgRes", result.message[:255])
    c = result.contribuyente
    if c is not None:
        cont = _sub(root, "xContRUC")
        _sub(cont, "dRUCCons", c.ruc)
        _sub(cont, "dRazCons", c.razon_social[:250])
        _sub(cont, "dCodEstCons", c.estado_code)
        _sub(cont, "dDesEstCons", c.estado[:25])
        _sub(cont, "dRUCFactElec", "S" if c.factura_electronica else "N")
    return _envelope(root)


def recepcion_evento_body(result: RecepcionEventoResult) -> etree._Element:
    root = _root("rRetEnviEventoDe")
    _sub(root, "dFecProc", format_fec(result.processed_at) if result.processed_at else "")
    for item in result.results:
        group = _sub(root, "gResProcEVe")
        _sub(group, "dEstRes", item.status)
        if item.protocol is not None:
            _sub(group, "dProtAut", item.protocol)
        _sub(group, "id", item.event_id)
        _messages(group, item.messages)
    return root


def build_recepcion_evento_response(result: RecepcionEventoResult) -> bytes:
    return _envelope(recepcion_evento_body(result))


# ---------------------------------------------------------------- parsing (client side)


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _parse_messages(parent: etree._Element) -> tuple[ResultMessage, ...]:
    out = []
    for group in children(parent, "gResProc"):
        code = child_text(group, "dCodRes")
        if code is not None:
            out.append(ResultMessage(code=code, message=child_text(group, "dMsgRes") or ""))
    return tuple(out)


def _in_res_proc(parent: etree._Element, name: str) -> str | None:
    for group in children(parent, "gResProc"):
        value = child_text(group, name)
        if value is not None:
            return value
    return None


def parse_prot_de(rprot: etree._Element) -> ProtDe:
    cdc = child_text(rprot, "Id") or child_text(rprot, "id") or child_text(rprot, "dId")
    status = child_text(rprot, "dEstRes") or _in_res_proc(rprot, "dEstRes")
    protocol = child_text(rprot, "dProtAut") or _in_res_proc(rprot, "dProtAut")
    return ProtDe(
        cdc=cdc,
        processed_at=parse_fec(child_text(rprot, "dFecProc")),
        digest_value=child_text(rprot, "dDigVal"),
        status=status,
        protocol=_int(protocol),
        messages=_parse_messages(rprot),
    )


def _recepcion_de(body: etree._Element) -> ProtDe:
    rprot = child(body, "rProtDe")
    return parse_prot_de(rprot if rprot is not None else body)


def _recepcion_lote(body: etree._Element) -> RecepcionLoteResult:
    return RecepcionLoteResult(
        processed_at=parse_fec(child_text(body, "dFecProc")),
        code=child_text(body, "dCodRes"),
        message=child_text(body, "dMsgRes"),
        lote_number=_int(child_text(body, "dProtConsLote")),
        avg_processing_seconds=_int(child_text(body, "dTpoProces")),
    )


def _consulta_lote(body: etree._Element) -> ConsultaLoteResult:
    results = []
    for group in children(body, "gResProcLote"):
        results.append(
            LoteDeResult(
                cdc=child_text(group, "id") or child_text(group, "Id") or "",
                status=child_text(group, "dEstRes") or _in_res_proc(group, "dEstRes") or "",
                protocol=_int(child_text(group, "dProtAut") or _in_res_proc(group, "dProtAut")),
                messages=_parse_messages(group),
            )
        )
    return ConsultaLoteResult(
        processed_at=parse_fec(child_text(body, "dFecProc")),
        code=child_text(body, "dCodResLot") or child_text(body, "dCodRes") or "",
        message=child_text(body, "dMsgResLot") or child_text(body, "dMsgRes") or "",
        results=tuple(results),
    )


def parse_contenido_de(raw: str) -> ContenidoDE:
    """Parse the ``xContenDE`` string: ``rContDe`` with ``rDE``, ``dProtAut``, ``xContEv``.

    Tolerates a missing ``rContDe`` wrapper (several roots), a leading declaration and CDATA.
    """
    data = raw.strip().encode("utf-8")
    data = strip_declaration(data)
    try:
        root = parse_xml(data)
    except SoapParseError:
        root = parse_xml(b"<rContDe>" + data + b"</rContDe>")  # several top-level elements
    if local_name(root) == "rDE":
        container = etree.Element("rContDe")
        container.append(root)
        root = container
    rde = child(root, "rDE")
    if rde is None:
        rde = descendant(root, "rDE")
    events = []
    for xcont in children(root, "xContEv"):
        for item in xcont:
            if isinstance(item.tag, str):
                events.append(etree.tostring(item, encoding="utf-8"))
    return ContenidoDE(
        rde_xml=etree.tostring(rde, encoding="utf-8") if rde is not None else None,
        protocol=_int(child_text(root, "dProtAut")),
        events=tuple(events),
        raw=raw,
    )


def _consulta_de(body: etree._Element) -> ConsultaDeResult:
    content_el = child(body, "xContenDE")
    content = None
    if content_el is not None:
        if len(content_el):  # delivered as child elements instead of an escaped string
            inner = b"".join(etree.tostring(c, encoding="utf-8") for c in content_el)
            content = parse_contenido_de(inner.decode("utf-8"))
        elif text(content_el):
            content = parse_contenido_de(content_el.text or "")
    return ConsultaDeResult(
        processed_at=parse_fec(child_text(body, "dFecProc")),
        code=child_text(body, "dCodRes") or "",
        message=child_text(body, "dMsgRes") or "",
        content=content,
    )


def _consulta_ruc(body: etree._Element) -> ConsultaRucResult:
    cont = child(body, "xContRUC")
    contribuyente = None
    if cont is not None:
        contribuyente = ContribuyenteRuc(
            ruc=child_text(cont, "dRUCCons") or "",
            razon_social=child_text(cont, "dRazCons") or "",
            estado_code=child_text(cont, "dCodEstCons") or "",
            estado=child_text(cont, "dDesEstCons") or "",
            factura_electronica=(child_text(cont, "dRUCFactElec") or "").upper() == "S",
        )
    return ConsultaRucResult(
        code=child_text(body, "dCodRes") or "",
        message=child_text(body, "dMsgRes") or "",
        contribuyente=contribuyente,
    )


def _recepcion_evento(body: etree._Element) -> RecepcionEventoResult:
    results = []
    for group in children(body, "gResProcEVe"):
        results.append(
            EventoResult(
                event_id=child_text(group, "id") or "",
                status=child_text(group, "dEstRes") or "",
                protocol=_int(child_text(group, "dProtAut")),
                messages=_parse_messages(group),
            )
        )
    return RecepcionEventoResult(processed_at=parse_fec(child_text(body, "dFecProc")), results=tuple(results))


_PARSERS: dict[Operation, Callable[[etree._Element], SifenResult]] = {
    Operation.RECEPCION_DE: _recepcion_de,
    Operation.RECEPCION_LOTE: _recepcion_lote,
    Operation.CONSULTA_LOTE: _consulta_lote,
    Operation.CONSULTA_DE: _consulta_de,
    Operation.CONSULTA_RUC: _consulta_ruc,
    Operation.RECEPCION_EVENTO: _recepcion_evento,
}


def parse_response(data: bytes, operation: Operation) -> SifenResult:
    """Typed result of ``operation`` from the raw HTTP body.

    Raises ``SoapParseError`` when the body is not usable XML (HTML, malformed, empty), and
    ``SifenAnswerError`` for a SOAP Fault or a body other than the expected one (e.g. an error shape
    carrying ``dCodRes``/``dMsgRes``).
    """
    body = body_element(data)
    fault = fault_of(body)
    if fault is not None:
        raise SifenAnswerError("Fault", fault.sifen_code, fault.reason or fault.code, fault)
    name = local_name(body)
    expected = RESPONSE_ROOT[operation]
    if name == expected or (operation is Operation.CONSULTA_DE and name == "rResEnviConsDe"):
        return _PARSERS[operation](body)
    code_el = descendant(body, "dCodRes")
    if code_el is None:
        code_el = descendant(body, "dCodResLot")
    msg_el = descendant(body, "dMsgRes")
    if msg_el is None:
        msg_el = descendant(body, "dMsgResLot")
    if code_el is not None:
        raise SifenAnswerError(name, text(code_el), text(msg_el) or "", None)
    raise SoapParseError(SoapProblem.NOT_SOAP, f"respuesta inesperada {name}, se esperaba {expected}")
