"""Event XML for siRecepEvento (MT v150 §11; sifen-protocol.md §7; siRecepEvento_v150.xsd).

Structure: ``rEnviEventoDe/dId`` + ``dEvReg/gGroupGesEve`` with 1..15 ``rGesEve``, each holding an
``rEve Id="n"`` (``dFecFirma``, ``dVerFor``, ``gGroupTiEvt/<group>``) followed by its enveloped
``Signature`` over ``#n``. Builders take the FacturaSend event body (``/evento/<tipo>``, see
facturasend-api.md §2.8) and return the unsigned ``rEve``; ``sign_event`` signs it into an
``rGesEve``; ``build_event_request`` wraps signed ``rGesEve`` elements into the request.

Nominación (``rGEveNom``) was added to SIFEN after MT v150 by a Nota Técnica; the schema bundle we
validate against (``Evento_v150.xsd`` of the current official index) already lists it in the
``tgGroupEvt`` choice, so it is built and validated exactly like the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from cryptography import x509
from lxml import etree

from sifenflow_common.errors import DocumentInvalid, ValidationIssue
from sifenflow_common.sifen.certificates import SigningCredentials, check_signing_allowed
from sifenflow_common.sifen.dsig import sign_element
from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen.event_rules import EventContext, check_event_rules
from sifenflow_common.sifen.namespaces import DSIG_NS, SCHEMA_LOCATION_EVENT, SIFEN_NS, XSI_NS
from sifenflow_common.sifen.signature import (
    TAG_SIGNATURE,
    Check,
    VerificationReport,
    paraguay_local,
    paraguay_to_utc,
    parse_local_datetime,
    parse_xml,
    serialize,
    verify_signature,
)

__all__ = [
    "EVENT_KINDS",
    "MAX_EVENTS_PER_REQUEST",
    "EventContext",
    "actualizacion_transporte",
    "build_event",
    "build_event_request",
    "cancelacion",
    "check_event_rules",
    "conformidad",
    "desconocimiento",
    "disconformidad",
    "inutilizacion",
    "nominacion",
    "notificacion_recepcion",
    "sign_event",
    "verify_event_request",
]

MAX_EVENTS_PER_REQUEST: Final = 15
_S = "{" + SIFEN_NS + "}"
_D = "{" + DSIG_NS + "}"
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
_CDC = re.compile(r"^[0-9]{2}[0-9]{7}[0-9A-D][0-9]{34}$")

_DOC_ID_RECEPTOR = {  # tiTipDocRec → tdDtipDocRec (D208/D209)
    1: "Cédula paraguaya",
    2: "Pasaporte",
    3: "Cédula extranjera",
    4: "Carnet de residencia",
    5: "Innominado",
    6: "Tarjeta Diplomática de exoneración fiscal",
}
_DOC_ID = {1: "Cédula paraguaya", 2: "Pasaporte", 3: "Cédula extranjera", 4: "Carnet de residencia"}
_TRANSPORT_MODE = {1: "Terrestre", 2: "Fluvial", 3: "Aéreo", 4: "Multimodal"}
_TRANSPORT_TYPE = {1: "Propio", 2: "Tercero"}


class _Fields:
    """Collects XSD children in order and every issue of the body at once."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "data") -> None:
        self.data = data
        self.prefix = prefix
        self.children: list[tuple[str, str]] = []
        self.issues: list[ValidationIssue] = []

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}"

    def nested(self, key: str) -> _Fields:
        """Fields of the sub-object ``key`` that append to the same children and issues."""
        value = self.data.get(key)
        child = _Fields(value if isinstance(value, Mapping) else {}, self.path(key))
        child.children = self.children
        child.issues = self.issues
        return child

    def issue(self, code: str, key: str, message: str) -> None:
        self.issues.append(ValidationIssue(code=code, path=self.path(key), message=message))

    def get(self, key: str, *aliases: str) -> Any:
        for name in (key, *aliases):
            value = self.data.get(name)
            if value is not None and value != "":
                return value
        return None

    def add(self, tag: str, value: object | None) -> None:
        if value is not None and value != "":
            self.children.append((tag, str(value)))

    def text(
        self, key: str, tag: str, *, required: bool = True, min_len: int = 1, max_len: int = 500
    ) -> str | None:
        value = self.get(key)
        if value is None:
            if required:
                self.issue("CAMPO_REQUERIDO", key, f"El campo {key} es obligatorio")
            return None
        text = " ".join(str(value).split())
        if not min_len <= len(text) <= max_len:
            self.issue("LONGITUD_INVALIDA", key, f"{key} debe tener entre {min_len} y {max_len} caracteres")
            return None
        self.add(tag, text)
        return text

    def integer(
        self,
        key: str,
        tag: str,
        *,
        allowed: range | set[int] | None = None,
        required: bool = True,
        width: int = 0,
    ) -> int | None:
        value = self.get(key)
        if value is None:
            if required:
                self.issue("CAMPO_REQUERIDO", key, f"El campo {key} es obligatorio")
            return None
        try:
            number = int(str(value).strip())
        except ValueError:
            self.issue("NUMERO_INVALIDO", key, f"{key} debe ser un número entero")
            return None
        if number < 0 or (allowed is not None and number not in allowed):
            self.issue("VALOR_NO_PERMITIDO", key, f"{key}={number} no es un valor permitido")
            return None
        self.add(tag, str(number).zfill(width) if width else str(number))
        return number

    def date_time(self, key: str, tag: str, *, required: bool = True) -> str | None:
        value = self.get(key)
        if value is None:
            if required:
                self.issue("CAMPO_REQUERIDO", key, f"El campo {key} es obligatorio")
            return None
        text = str(value).strip()
        if not _DATE_TIME.match(text):
            self.issue(
                "FECHA_INVALIDA", key, f"{key} debe tener el formato AAAA-MM-DDThh:mm:ss sin zona ni fracción"
            )
            return None
        self.add(tag, text)
        return text

    def cdc(self) -> str | None:
        value = self.get("cdc", "id")
        if value is None:
            self.issue("CAMPO_REQUERIDO", "cdc", "El campo cdc es obligatorio")
            return None
        text = str(value).strip()
        if not _CDC.match(text) or dv11(text[:43]) != int(text[43]):
            self.issue("CDC_INVALIDO", "cdc", "CDC inválido: 44 caracteres con dígito verificador correcto")
            return None
        self.add("Id", text)
        return text

    def ruc(self, key: str, ruc_tag: str, dv_tag: str, *, required: bool = True) -> str | None:
        value = self.get(key)
        if value is None:
            if required:
                self.issue("CAMPO_REQUERIDO", key, f"El campo {key} es obligatorio")
            return None
        number, sep, dv = str(value).strip().upper().partition("-")
        if not re.fullmatch(r"[1-9][0-9]{2,7}[0-9A-D]?", number) or (sep and not dv.isdigit()):
            self.issue("RUC_INVALIDO", key, f"{key} debe tener el formato 80069563-1")
            return None
        expected = dv11(number)
        if sep and int(dv) != expected:
            self.issue("RUC_DV_INVALIDO", key, f"El dígito verificador de {value} debe ser {expected}")
            return None
        self.add(ruc_tag, number)
        self.add(dv_tag, str(expected))
        return f"{number}-{expected}"

    def element(self, name: str) -> etree._Element:
        if self.issues:
            raise DocumentInvalid(self.issues)
        group = etree.Element(_S + name, nsmap={None: SIFEN_NS})
        for tag, value in self.children:
            etree.SubElement(group, _S + tag).text = value
        return group


def _group_cancelacion(data: Mapping[str, Any]) -> etree._Element:
    f = _Fields(data)
    f.cdc()
    f.text("motivo", "mOtEve", min_len=5, max_len=500)
    return f.element("rGeVeCan")


def _group_inutilizacion(data: Mapping[str, Any]) -> etree._Element:
    f = _Fields(data)
    timbrado = f.get("timbrado")
    if timbrado is None or not re.fullmatch(r"[0-9]{1,8}", str(timbrado).strip()) or int(str(timbrado)) == 0:
        f.issue("TIMBRADO_INVALIDO", "timbrado", "timbrado (8 dígitos) es obligatorio")
    else:
        f.add("dNumTim", str(timbrado).strip().zfill(8))
    f.integer("establecimiento", "dEst", allowed=range(1, 1000), width=3)
    f.integer("punto", "dPunExp", allowed=range(1, 1000), width=3)
    f.integer("desde", "dNumIn", allowed=range(1, 10_000_000), width=7)
    f.integer("hasta", "dNumFin", allowed=range(1, 10_000_000), width=7)
    # tiTiDEEv (Evento_Types_v150.xsd) lists 9, the boleta de venta, but not 10 (boleta resimple)
    f.integer("tipoDocumento", "iTiDE", allowed={1, 4, 5, 6, 7, 9})
    f.text("motivo", "mOtEve", min_len=5, max_len=500)
    serie = f.get("serie")
    if serie is not None:
        if not re.fullmatch(r"[A-Z]{2}", str(serie)):
            f.issue("SERIE_INVALIDA", "serie", "serie debe ser de dos letras mayúsculas (AA, AB…)")
        else:
            f.add("dSerieNum", serie)
    return f.element("rGeVeInu")


def _receptor_identity(f: _Fields, *, id_types: Mapping[int, str], num_tag: str) -> None:
    tipo = f.integer("tipoReceptor", "iTipRec", allowed={1, 2})
    f.text("nombre", "dNomRec", min_len=4, max_len=255)
    if tipo == 1:
        f.ruc("ruc", "dRucRec", "dDVRec")
    elif tipo == 2:
        f.integer("documentoTipo", "dTipIDRec", allowed=set(id_types))
        f.text("documentoNumero", num_tag, max_len=20)


def _group_notificacion(data: Mapping[str, Any]) -> etree._Element:
    f = _Fields(data)
    f.cdc()
    f.date_time("fechaEmision", "dFecEmi")
    f.date_time("fechaRecepcion", "dFecRecep")
    _receptor_identity(f, id_types=_DOC_ID_RECEPTOR, num_tag="dNumID")
    total = f.get("totalPYG", "totalGs")
    if total is None:
        f.issue("CAMPO_REQUERIDO", "totalPYG", "totalPYG (dTotalGs) es obligatorio")
    elif not re.fullmatch(r"[0-9]{1,15}(\.[0-9]{1,8})?", str(total)):
        f.issue("NUMERO_INVALIDO", "totalPYG", "totalPYG debe ser un monto no negativo")
    else:
        f.add("dTotalGs", total)
    return f.element("rGeVeNotRec")


def _group_conformidad(data: Mapping[str, Any]) -> etree._Element:
    f = _Fields(data)
    f.cdc()
    tipo = f.integer("tipoConformidad", "iTipConf", allowed={1, 2})
    f.date_time("fechaRecepcion", "dFecRecep", required=tipo == 2)
    return f.element("rGeVeConf")


def _group_disconformidad(data: Mapping[str, Any]) -> etree._Element:
    f = _Fields(data)
    f.cdc()
    f.text("motivo", "mOtEve", min_len=5, max_len=500)
    return f.element("rGeVeDisconf")


def _group_desconocimiento(data: Mapping[str, Any]) -> etree._Element:
    f = _Fields(data)
    f.cdc()
    f.date_time("fechaEmision", "dFecEmi")
    f.date_time("fechaRecepcion", "dFecRecep")
    _receptor_identity(f, id_types=_DOC_ID, num_tag="dNumID")
    f.text("motivo", "mOtEve", min_len=5, max_len=500)
    return f.element("rGeVeDescon")


def _described(
    f: _Fields, code_key: str, code_tag: str, desc_key: str, desc_tag: str, *, max_len: int
) -> None:
    code = f.integer(code_key, code_tag, required=False)
    if code is not None:
        f.text(desc_key, desc_tag, min_len=1, max_len=max_len)


def _group_nominacion(data: Mapping[str, Any]) -> etree._Element:
    f = _Fields(data)
    f.cdc()
    f.text("motivo", "mOtEve", min_len=5, max_len=500)
    contribuyente = f.get("contribuyente")
    if contribuyente is None:
        f.issue("CAMPO_REQUERIDO", "contribuyente", "contribuyente (true/false) es obligatorio")
    f.add("iNatRec", "1" if contribuyente else "2")
    f.integer("tipoOperacion", "iTiOpe", allowed={1, 2, 4})
    pais = str(f.get("pais") or "PRY").upper()
    f.add("cPaisRec", pais)
    description = f.get("paisDescripcion") or ("Paraguay" if pais == "PRY" else None)
    if description is None:
        f.issue("CAMPO_REQUERIDO", "paisDescripcion", "paisDescripcion es obligatorio cuando pais no es PRY")
    f.add("dDesPaisRe", description)
    if contribuyente:
        f.integer("tipoContribuyente", "iTiContRec", allowed={1, 2})
        f.ruc("ruc", "dRucRec", "dDVRec")
    else:
        tipo = f.integer("documentoTipo", "iTipIDRec", allowed=set(_DOC_ID_RECEPTOR))
        if tipo is not None:
            f.add("dDTipIDRec", _DOC_ID_RECEPTOR[tipo])
        f.text("documentoNumero", "dNumIDRec", max_len=20)
    f.text("razonSocial", "dNomRec", min_len=4, max_len=255)
    f.text("nombreFantasia", "dNomFanRec", required=False, min_len=4, max_len=255)
    f.text("direccion", "dDirRec", required=False, max_len=255)
    f.integer("numeroCasa", "dNumCasRec", required=False)
    _described(f, "departamento", "cDepRec", "departamentoDescripcion", "dDesDepRec", max_len=16)
    _described(f, "distrito", "cDisRec", "distritoDescripcion", "dDesDisRec", max_len=30)
    _described(f, "ciudad", "cCiuRec", "ciudadDescripcion", "dDesCiuRec", max_len=30)
    f.text("telefono", "dTelRec", required=False, min_len=6, max_len=15)
    f.text("celular", "dCelRec", required=False, min_len=10, max_len=20)
    f.text("email", "dEmailRec", required=False, min_len=3, max_len=80)
    f.text("codigo", "dCodCliente", required=False, min_len=3, max_len=15)
    return f.element("rGEveNom")


def _group_transporte(data: Mapping[str, Any]) -> etree._Element:
    f = _Fields(data)
    f.cdc()
    f.integer("motivo", "dMotEv", allowed={1, 2, 3, 4})
    entrega = f.nested("entrega")
    _described(entrega, "departamento", "cDepEnt", "departamentoDescripcion", "dDesDepEnt", max_len=16)
    _described(entrega, "distrito", "cDisEnt", "distritoDescripcion", "dDesDisEnt", max_len=30)
    _described(entrega, "ciudad", "cCiuEnt", "ciudadDescripcion", "dDesCiuEnt", max_len=30)
    entrega.text("direccion", "dDirEnt", required=False, max_len=255)
    entrega.integer("numeroCasa", "dNumCas", required=False)
    entrega.text("complementoDireccion1", "dCompDir1", required=False, max_len=255)
    chofer = f.nested("chofer")
    chofer.text("nombre", "dNomChof", required=False, min_len=4, max_len=255)
    chofer.text("documentoNumero", "dNumIDChof", required=False, max_len=20)
    transportista = f.nested("transportista")
    naturaleza = transportista.integer("naturaleza", "iNatTrans", allowed={1, 2}, required=False)
    if naturaleza == 1:
        transportista.ruc("ruc", "dRucTrans", "dDVTrans")
    transportista.text("nombre", "dNomTrans", required=naturaleza is not None, min_len=4, max_len=255)
    if naturaleza == 2:
        tipo = transportista.integer("documentoTipo", "iTipIDTrans", allowed=set(_DOC_ID))
        if tipo is not None:
            transportista.add("dDTipIDTrans", _DOC_ID[tipo])
        transportista.text("documentoNumero", "dNumIDTrans", max_len=20)
    tipo_transporte = f.integer("tipoTransporte", "iTipTrans", allowed={1, 2}, required=False)
    if tipo_transporte is not None:
        f.add("dDesTipTrans", _TRANSPORT_TYPE[tipo_transporte])
    modalidad = f.integer("modalidad", "iModTrans", allowed=set(_TRANSPORT_MODE), required=False)
    if modalidad is not None:
        f.add("dDesModTrans", _TRANSPORT_MODE[modalidad])
    vehiculo = f.nested("vehiculo")
    vehiculo.text("tipo", "dTiVehTras", required=False, min_len=4, max_len=10)
    vehiculo.text("marca", "dMarVeh", required=False, max_len=10)
    vehiculo.integer("documentoTipo", "dTipIdenVeh", allowed={1, 2}, required=False)
    vehiculo.text("numeroIdentificacion", "dNroIDVeh", required=False, max_len=20)
    vehiculo.text("numeroMatricula", "dNroMatVeh", required=False, max_len=20)
    return f.element("rGeVeTr")


_GROUP_BUILDERS: Final[dict[str, Callable[[Mapping[str, Any]], etree._Element]]] = {
    "cancelacion": _group_cancelacion,
    "inutilizacion": _group_inutilizacion,
    "notificacion": _group_notificacion,
    "conformidad": _group_conformidad,
    "disconformidad": _group_disconformidad,
    "desconocimiento": _group_desconocimiento,
    "nominacion": _group_nominacion,
    "transporte": _group_transporte,
}
EVENT_KINDS: Final = tuple(_GROUP_BUILDERS)
_KIND_ALIASES = {
    "confirmidad": "conformidad",
    "notificacionRecepcion": "notificacion",
    "actualizacionTransporte": "transporte",
}


def _format_fec(signed_at: datetime | None) -> str:
    return paraguay_local(signed_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")


def build_event(
    kind: str, data: Mapping[str, Any], *, event_id: int, signed_at: datetime | None = None
) -> etree._Element:
    """Unsigned ``rEve Id=event_id`` for ``kind`` (one of ``EVENT_KINDS``) from a FacturaSend body.

    Raises ``DocumentInvalid`` listing every problem of the body (code, JSON path, Spanish message).
    """
    kind = _KIND_ALIASES.get(kind, kind)
    builder = _GROUP_BUILDERS.get(kind)
    if builder is None:
        raise DocumentInvalid(
            [ValidationIssue("EVENTO_DESCONOCIDO", "tipo", f"Tipo de evento desconocido: {kind!r}")]
        )
    if not 1 <= event_id <= 9_999_999_999:
        raise DocumentInvalid(
            [ValidationIssue("EVENTO_ID_INVALIDO", "id", "El Id del evento va de 1 a 9999999999")]
        )
    group = builder(data)
    r_eve = etree.Element(_S + "rEve", nsmap={None: SIFEN_NS})
    r_eve.set("Id", str(event_id))
    etree.SubElement(r_eve, _S + "dFecFirma").text = _format_fec(signed_at)
    etree.SubElement(r_eve, _S + "dVerFor").text = "150"
    etree.SubElement(r_eve, _S + "gGroupTiEvt").append(group)
    return r_eve


def _builder(kind: str) -> Callable[..., etree._Element]:
    def build(data: Mapping[str, Any], *, event_id: int, signed_at: datetime | None = None) -> etree._Element:
        return build_event(kind, data, event_id=event_id, signed_at=signed_at)

    build.__name__ = kind
    build.__doc__ = f"Unsigned rEve of the {kind} event (see ``build_event``)."
    return build


cancelacion = _builder("cancelacion")
inutilizacion = _builder("inutilizacion")
notificacion_recepcion = _builder("notificacion")
conformidad = _builder("conformidad")
disconformidad = _builder("disconformidad")
desconocimiento = _builder("desconocimiento")
nominacion = _builder("nominacion")
actualizacion_transporte = _builder("transporte")


def sign_event(
    r_eve: etree._Element, credentials: SigningCredentials, *, signed_at: datetime | None = None
) -> etree._Element:
    """``rGesEve`` holding ``r_eve`` and its Signature (Reference ``#<rEve Id>``, MT §7.6 profile).

    ``rEve/dFecFirma`` is set to ``signed_at`` (Paraguay local time) before signing; the
    certificate must be valid then (SIFEN 0121). Who may sign which event is a business rule
    (``check_event_rules``), not checked here.
    """
    if r_eve.tag != _S + "rEve" or not r_eve.get("Id"):
        raise ValueError("sign_event expects an rEve element with Id")
    fec = r_eve.find(_S + "dFecFirma")
    if fec is None:
        raise ValueError("rEve without dFecFirma")
    local = paraguay_local(signed_at or datetime.now(UTC))
    fec.text = local.strftime("%Y-%m-%dT%H:%M:%S")
    check_signing_allowed(credentials, at=paraguay_to_utc(local))
    r_ges_eve = etree.Element(_S + "rGesEve", nsmap={None: SIFEN_NS})
    r_ges_eve.append(r_eve)
    sign_element(r_eve, credentials)
    return r_ges_eve


def build_event_request(d_id: int, signed_rges_eve: list[etree._Element]) -> bytes:
    """``rEnviEventoDe`` (siRecepEvento request body) with 1..15 signed ``rGesEve``."""
    if not 1 <= len(signed_rges_eve) <= MAX_EVENTS_PER_REQUEST:
        raise ValueError(f"an event request carries 1 to {MAX_EVENTS_PER_REQUEST} rGesEve")
    if not 1 <= d_id <= 999_999_999_999_999:
        raise ValueError("dId has 1 to 15 digits")
    request = etree.Element(_S + "rEnviEventoDe", nsmap={None: SIFEN_NS})
    etree.SubElement(request, _S + "dId").text = str(d_id)
    registry = etree.SubElement(request, _S + "dEvReg")
    group = etree.SubElement(registry, _S + "gGroupGesEve", nsmap={"xsi": XSI_NS})
    group.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION_EVENT)
    for r_ges_eve in signed_rges_eve:
        group.append(r_ges_eve)
    return serialize(request)


def event_group(request_xml: bytes) -> etree._Element:
    """The ``gGroupGesEve`` of a request (what siRecepEvento_v150.xsd validates)."""
    root = etree.fromstring(request_xml)
    group = root.find(f"{_S}dEvReg/{_S}gGroupGesEve")
    if group is None:
        raise ValueError("rEnviEventoDe without dEvReg/gGroupGesEve")
    return group


def verify_event_request(
    request_xml: bytes,
    *,
    trusted_roots: Sequence[x509.Certificate] | None = None,
    at: datetime | None = None,
) -> list[VerificationReport]:
    """One report per ``rGesEve`` of an ``rEnviEventoDe`` (or a bare ``gGroupGesEve``): profile,
    digest over ``#<rEve Id>``, signature value, certificate dates (at ``at``, default the event's
    dFecFirma) and chain. Who may sign is a business rule: see ``check_event_rules``."""
    root = parse_xml(request_xml)
    reports: list[VerificationReport] = []
    for r_ges_eve in root.iter(_S + "rGesEve"):
        r_eve = r_ges_eve.find(_S + "rEve")
        signature = r_ges_eve.find(TAG_SIGNATURE)
        event_id = r_eve.get("Id") if r_eve is not None else None
        if r_eve is None or signature is None:
            reports.append(VerificationReport(ok=False, checks=[], cdc=event_id))
            continue
        signed_at = r_eve.findtext(_S + "dFecFirma")
        moment = at
        if moment is None and signed_at:
            try:
                moment = paraguay_to_utc(parse_local_datetime(signed_at))
            except ValueError:
                moment = None
        checks, digest, signer = verify_signature(
            r_ges_eve, signature, trusted_roots=trusted_roots, at=moment
        )
        reference = f"#{event_id}"
        ref = signature.find(f"{_D}SignedInfo/{_D}Reference")
        if ref is None or ref.get("URI") != reference:
            checks.append(Check("referencia", False, f"la Reference no apunta a {reference}"))
        reports.append(
            VerificationReport(
                ok=bool(checks) and all(c.ok for c in checks),
                checks=checks,
                digest_value=digest,
                certificate_ruc=signer.ruc if signer is not None else None,
                cdc=event_id,
                signed_at=signed_at,
                certificate_subject=signer.subject if signer is not None else None,
            )
        )
    return reports
