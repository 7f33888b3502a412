"""Signing FacturaSend's recibo digital (tipo 55, sifenflow's ``rRec`` schema, docs/recibo_v1.xsd).

A recibo is never sent to SIFEN, but it is signed with the same machinery as a DE (facturasend-api
§2.4): the XML-DSig profile of the DE (enveloped + exclusive c14n, RSA-SHA256, Reference to the
``Id`` = CDC) applied to ``rRec/Rec``, with ``Signature`` written right after ``Rec``, and the same
certificate rules (validity, the emisor's RUC). It carries no QR: SIFEN's consulta cannot know it.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from sifenflow_common.sifen import dsig
from sifenflow_common.sifen.certificates import SigningCredentials, checked_signing_time
from sifenflow_common.sifen.namespaces import DSIG_NS, SIFEN_NS
from sifenflow_common.sifen.signature import SignatureInputError, parse_unsigned, serialize

RECIBO_NS = "https://sifenflow.dev/xsd/recibo/v1"
_R = "{" + RECIBO_NS + "}"
_S = "{" + SIFEN_NS + "}"
TAG_RREC = _R + "rRec"
TAG_REC = _R + "Rec"
_ISSUER_PATH = (_R + "gDatGralOpe", _R + "gEmis")


def is_recibo(xml: bytes) -> bool:
    """Whether ``xml`` is a recibo (its root is ``rRec`` in the recibo namespace): a byte check on
    the start of the document, no parse."""
    head = xml[:400]
    return RECIBO_NS.encode() in head and b"rRec" in head


def _child(parent: etree._Element, tag: str) -> etree._Element | None:
    for child in parent.iterchildren(tag):
        return child
    return None


def _issuer_ruc(rec: etree._Element) -> str | None:
    emisor = rec
    for tag in _ISSUER_PATH:
        found = _child(emisor, tag)
        if found is None:
            return None
        emisor = found
    ruc, dv = emisor.findtext(_S + "dRucEm"), emisor.findtext(_S + "dDVEmi")
    return f"{ruc.strip()}-{dv.strip()}" if ruc and dv is not None else None


def sign_recibo(
    unsigned_xml: bytes, credentials: SigningCredentials, *, signed_at: datetime | None = None
) -> bytes:
    """Signed ``rRec`` bytes; ``signed_at`` (default now) goes into ``Rec/dFecFirma``.

    Raises ``SignatureInputError`` for XML that is not an unsigned recibo and ``CertificateError``
    subclasses when the certificate may not sign it (expired, another RUC).
    """
    root = parse_unsigned(unsigned_xml)
    if root.tag != TAG_RREC:
        raise SignatureInputError("XML_RAIZ_INVALIDA", f"Se esperaba rRec (recibo digital), llegó {root.tag}")
    rec = _child(root, TAG_REC)
    if rec is None or not rec.get("Id"):
        raise SignatureInputError("REC_AUSENTE", "El recibo no contiene Rec con el atributo Id (CDC)")
    if root.find(f".//{{{DSIG_NS}}}Signature") is not None:
        raise SignatureInputError("DE_YA_FIRMADO", "El recibo ya contiene una firma")
    fec_firma = _child(rec, _R + "dFecFirma")
    if fec_firma is None:
        raise SignatureInputError("DFECFIRMA_AUSENTE", "Rec no contiene dFecFirma")
    ruc = _issuer_ruc(rec)
    if ruc is None:
        raise SignatureInputError("EMISOR_AUSENTE", "Rec no contiene gEmis/dRucEm y dDVEmi")
    fec_firma.text = checked_signing_time(credentials, issuer_ruc=ruc, signed_at=signed_at)
    signature = dsig.signature_xml(rec.get("Id", ""), dsig.digest_b64(rec), credentials)
    rec.addnext(etree.fromstring(signature))
    return serialize(root)
