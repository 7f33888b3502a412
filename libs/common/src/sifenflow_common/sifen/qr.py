"""The KuDE QR (``gCamFuFD/dCarQR``), MT v150 §13.8; sifen-protocol.md §5.

Parameters in this exact order: nVersion, Id, dFeEmiDE (hex of its text), dRucRec or dNumIDRec,
dTotGralOpe, dTotIVA, cItems, DigestValue (hex of its base64 text), IdCSC; then
``cHashQR = sha256(query + CSC)`` (lower-case hex, CSC appended with no separator, never put in
the URL). The QR needs the signature's DigestValue, so it is added after signing, outside DE
(which the signature covers), and adding it does not break the signature.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import unescape as xml_unescape

from lxml import etree

from sifenflow_common.sifen import dsig
from sifenflow_common.sifen.certificates import SigningCredentials
from sifenflow_common.sifen.namespaces import DSIG_NS, QR_BASE_URL_PROD, QR_BASE_URL_TEST, SIFEN_NS
from sifenflow_common.sifen.signature import (
    SignatureInputError,
    parse_unsigned,
    parse_xml,
    prepare_for_signing,
    serialize,
    sign_rde_tree,
    splice_after_de,
)

__all__ = [
    "Environment",
    "QrError",
    "QrFields",
    "add_qr",
    "qr_base_url",
    "qr_data",
    "qr_fields",
    "qr_hash",
    "qr_url",
    "sign_rde_with_qr",
    "verify_qr",
]

Environment = Literal["simulado", "test", "produccion"]
QR_VERSION = "150"
_S = "{" + SIFEN_NS + "}"
_D = "{" + DSIG_NS + "}"


class QrError(SignatureInputError):
    """The document lacks what the QR needs (signature, CDC, emission date) or the CSC is bad."""


def qr_base_url(environment: Environment) -> str:
    """Test base for ``simulado`` and ``test``; production base for ``produccion``."""
    if environment == "produccion":
        return QR_BASE_URL_PROD
    if environment in ("simulado", "test"):
        return QR_BASE_URL_TEST
    raise QrError("AMBIENTE_INVALIDO", f"Ambiente desconocido: {environment!r}")


@dataclass(frozen=True, slots=True)
class QrFields:
    cdc: str
    fe_emi_de: str  # YYYY-MM-DDThh:mm:ss as written in D002
    receptor_param: Literal["dRucRec", "dNumIDRec"]
    receptor_value: str
    tot_gral_ope: str
    tot_iva: str
    items: int
    digest_value: str  # base64 text of the Reference DigestValue


def _check_csc_id(csc_id: str) -> str:
    if not (csc_id.isdigit() and 1 <= len(csc_id) <= 4):
        raise QrError("CSC_ID_INVALIDO", f"IdCSC debe tener hasta 4 dígitos, llegó {csc_id!r}")
    return csc_id.zfill(4)


def qr_data(fields: QrFields, csc_id: str) -> str:
    """The query string that is hashed (everything before ``&cHashQR=``)."""
    return (
        f"nVersion={QR_VERSION}&Id={fields.cdc}"
        f"&dFeEmiDE={fields.fe_emi_de.encode('utf-8').hex()}"
        f"&{fields.receptor_param}={fields.receptor_value}"
        f"&dTotGralOpe={fields.tot_gral_ope}&dTotIVA={fields.tot_iva}&cItems={fields.items}"
        f"&DigestValue={fields.digest_value.encode('ascii').hex()}&IdCSC={_check_csc_id(csc_id)}"
    )


def qr_hash(data: str, csc: str) -> str:
    """``cHashQR``: lower-case hex SHA-256 of the query string followed by the CSC."""
    if not csc:
        raise QrError("CSC_AUSENTE", "Falta el CSC (código secreto del contribuyente)")
    return hashlib.sha256((data + csc).encode("utf-8")).hexdigest()


def qr_url(fields: QrFields, *, csc_id: str, csc: str, environment: Environment) -> str:
    data = qr_data(fields, csc_id)
    return f"{qr_base_url(environment)}{data}&cHashQR={qr_hash(data, csc)}"


# The elements the QR reads, all in gTimb, gDatGralOpe or gTotSub (first occurrence wins).
QR_SOURCE_TAGS = ("dFeEmiDE", "iTImp", "iNatRec", "dRucRec", "dNumIDRec", "iTiDE", "dTotGralOpe", "dTotIVA")
QR_SOURCE_GROUPS = ("gTimb", "gDatGralOpe", "gTotSub")
_QR_TAGS = tuple(_S + t for t in QR_SOURCE_TAGS)
_ITEM = _S + "gCamItem"


def fields_from_values(values: Mapping[str, str], *, cdc: str, items: int, digest: str) -> QrFields:
    """The QR inputs from the stripped texts of the ``QR_SOURCE_TAGS`` present in the DE."""
    fe_emi = values.get("dFeEmiDE")
    if not fe_emi:
        raise QrError("DFEEMIDE_AUSENTE", "DE no contiene gDatGralOpe/dFeEmiDE (D002)")
    param: Literal["dRucRec", "dNumIDRec"]
    if values.get("iNatRec") == "1":
        param, value = "dRucRec", values.get("dRucRec") or "0"
    else:
        # Non-contributors (and innominado) use D210; B2F receptors have none → 0 (sifen-protocol §5.1).
        param, value = "dNumIDRec", values.get("dNumIDRec") or "0"
    tot_gral = tot_iva = "0"
    if values.get("iTiDE") != "7":  # NRE carries no totals (protocol §5.1)
        tot_gral = values.get("dTotGralOpe") or "0"
        if values.get("iTImp", "") in ("1", "5", ""):  # IVA only for iTImp 1 (IVA) and 5 (IVA-Renta)
            tot_iva = values.get("dTotIVA") or "0"
    return QrFields(
        cdc=cdc,
        fe_emi_de=fe_emi,
        receptor_param=param,
        receptor_value=value,
        tot_gral_ope=tot_gral,
        tot_iva=tot_iva,
        items=items,
        digest_value=digest,
    )


def _fields_from(root: etree._Element) -> QrFields:
    de = root.find(f"{_S}DE")
    if de is None or not de.get("Id"):
        raise QrError("DE_AUSENTE", "El rDE no contiene DE con Id (CDC)")
    digest = root.findtext(f"{_D}Signature/{_D}SignedInfo/{_D}Reference/{_D}DigestValue")
    if not digest:
        raise QrError("DE_SIN_FIRMA", "El QR se calcula después de firmar: falta Signature/DigestValue")
    return _fields_from_de(de, digest.strip())


def _fields_from_de(de: etree._Element, digest: str) -> QrFields:
    # One pass over the groups that hold the QR inputs instead of one path lookup per field: this
    # runs once per document on the signer's hot path.
    values: dict[str, str] = {}
    for name in QR_SOURCE_GROUPS:
        group = de.find(_S + name)
        if group is not None:
            for element in group.iter(*_QR_TAGS):
                values.setdefault(element.tag[len(_S) :], (element.text or "").strip())
    dtip = de.find(_S + "gDtipDE")
    items = sum(1 for _ in dtip.iterchildren(_ITEM)) if dtip is not None else 0
    return fields_from_values(values, cdc=de.get("Id", ""), items=items, digest=digest)


def qr_fields(signed_xml: bytes) -> QrFields:
    """The QR inputs of a signed rDE."""
    return _fields_from(parse_xml(signed_xml))


def qr_url_in(signed_xml: bytes) -> str | None:
    """The ``dCarQR`` text of a signed rDE written without a prefix (ours always is), by a byte
    search near the end instead of a parse; None when it is not found that way."""
    end = signed_xml.rfind(b"</dCarQR>")
    start = signed_xml.rfind(b"<dCarQR>", 0, end) if end >= 0 else -1
    if start < 0:
        return None
    return xml_unescape(signed_xml[start + len(b"<dCarQR>") : end].decode("utf-8")).strip()


def add_qr(signed_xml: bytes, *, csc_id: str, csc: str, environment: Environment) -> bytes:
    """Append ``gCamFuFD/dCarQR`` after the Signature (replacing an existing dCarQR).

    The signed DE is never re-serialized differently: for our own compact output the group is
    spliced in as bytes; anything else goes through lxml, which keeps the canonical form.
    """
    root = parse_xml(signed_xml)
    url = qr_url(_fields_from(root), csc_id=csc_id, csc=csc, environment=environment)
    if root.find(f"{_S}gCamFuFD") is None:
        stripped = signed_xml.rstrip()
        if stripped.endswith(b"</Signature></rDE>"):
            escaped = xml_escape(url)
            return (
                stripped[: -len(b"</rDE>")]
                + f"<gCamFuFD><dCarQR>{escaped}</dCarQR></gCamFuFD></rDE>".encode()
            )
    _place_qr(root, url)
    return serialize(root)


def _place_qr(root: etree._Element, url: str) -> None:
    existing = root.find(f"{_S}gCamFuFD")
    if existing is None:
        existing = etree.SubElement(root, f"{_S}gCamFuFD")
    car_qr = existing.find(f"{_S}dCarQR")
    if car_qr is None:
        car_qr = etree.Element(f"{_S}dCarQR")
        existing.insert(0, car_qr)
    car_qr.text = url


def sign_rde_with_qr(
    unsigned_xml: bytes,
    credentials: SigningCredentials,
    *,
    csc_id: str,
    csc: str,
    environment: Environment,
    signed_at: datetime | None = None,
) -> bytes:
    """``add_qr(sign_rde(...))`` in one pass (the signer's hot path): our writer's output without
    parsing it (``fast_sign``), anything else with one parse and one serialization.

    The output is byte-identical to the two-step path.
    """
    from sifenflow_common.sifen.fast_sign import fast_sign_rde_with_qr  # builds on this module

    fast = fast_sign_rde_with_qr(
        unsigned_xml, credentials, csc_id=csc_id, csc=csc, environment=environment, signed_at=signed_at
    )
    if fast is not None:
        return fast
    return sign_rde_with_qr_lxml(
        unsigned_xml, credentials, csc_id=csc_id, csc=csc, environment=environment, signed_at=signed_at
    )


def sign_rde_with_qr_lxml(
    unsigned_xml: bytes,
    credentials: SigningCredentials,
    *,
    csc_id: str,
    csc: str,
    environment: Environment,
    signed_at: datetime | None = None,
) -> bytes:
    """``sign_rde_with_qr`` on the parsed tree: any unsigned rDE."""
    root = parse_unsigned(unsigned_xml)
    if root.find(f"{_S}gCamFuFD") is not None:  # a prepared gCamFuFD (dInfAdic): keep it, fill dCarQR
        sign_rde_tree(root, credentials, signed_at=signed_at)
        _place_qr(root, qr_url(_fields_from(root), csc_id=csc_id, csc=csc, environment=environment))
        return serialize(root)
    de = prepare_for_signing(root, credentials, signed_at=signed_at)
    digest = dsig.digest_b64(de)
    signature = dsig.signature_xml(de.get("Id", ""), digest, credentials)
    url = qr_url(_fields_from_de(de, digest), csc_id=csc_id, csc=csc, environment=environment)
    group = f"<gCamFuFD><dCarQR>{xml_escape(url)}</dCarQR></gCamFuFD>".encode()
    return splice_after_de(root, de, signature + group)


def verify_qr(xml: bytes, csc: str) -> bool:
    """True when dCarQR's hash matches its data with ``csc`` and the data matches the document
    (CDC, dates, totals, item count, DigestValue of the current signature)."""
    try:
        root = parse_xml(xml)
    except SignatureInputError:
        return False
    return verify_qr_tree(root, csc)


def verify_qr_tree(root: etree._Element, csc: str) -> bool:
    """``verify_qr`` of an rDE already parsed."""
    try:
        fields = _fields_from(root)
    except SignatureInputError:
        return False
    url = (root.findtext(f"{_S}gCamFuFD/{_S}dCarQR") or "").strip()
    if "?" not in url or "&cHashQR=" not in url:
        return False
    base, _, query = url.partition("?")
    data, _, given_hash = query.rpartition("&cHashQR=")
    id_csc = data.rpartition("&IdCSC=")[2]
    try:
        expected_data = qr_data(fields, id_csc)
    except QrError:
        return False
    return (
        f"{base}?" in (QR_BASE_URL_TEST, QR_BASE_URL_PROD)
        and hmac.compare_digest(data, expected_data)
        and hmac.compare_digest(given_hash.lower(), qr_hash(data, csc))
    )
