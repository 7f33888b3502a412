"""The same rDE signature made with signxml, kept to cross-check and benchmark the direct one.

signxml can produce the SIFEN profile (default-namespace Signature via ``namespaces={None: …}``,
exc-c14n, one Reference ``#CDC``, X509Certificate only) and, RSA PKCS#1 v1.5 being deterministic,
the very same DigestValue and SignatureValue as ``dsig``. It is several times slower (it
re-canonicalizes and re-parses the signature it builds), so ``sign_rde`` uses ``dsig``; the
benchmark ``bench/bench_signing.py`` prints both figures.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner

from sifenflow_common.sifen.certificates import SigningCredentials, checked_signing_time
from sifenflow_common.sifen.namespaces import DSIG_NS, SIFEN_NS
from sifenflow_common.sifen.signature import (
    TAG_DE,
    TAG_SIGNATURE,
    SignatureInputError,
    issuer_ruc,
    parse_unsigned,
    parse_xml,
    serialize,
)


def _signer() -> XMLSigner:
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signer.namespaces = {None: DSIG_NS}  # type: ignore[dict-item]  # default namespace, no ds: prefix
    return signer


def sign_rde_signxml(
    unsigned_xml: bytes, credentials: SigningCredentials, *, signed_at: datetime | None = None
) -> bytes:
    root = parse_unsigned(unsigned_xml)
    de = root.find(TAG_DE)
    if root.tag != f"{{{SIFEN_NS}}}rDE" or de is None or not de.get("Id"):
        raise SignatureInputError("XML_RAIZ_INVALIDA", "Se esperaba rDE con DE/@Id")
    fec_firma = de.find(f"{{{SIFEN_NS}}}dFecFirma")
    if fec_firma is None:
        raise SignatureInputError("DFECFIRMA_AUSENTE", "DE no contiene dFecFirma (A004)")
    fec_firma.text = checked_signing_time(credentials, issuer_ruc=issuer_ruc(de), signed_at=signed_at)
    signed = _signer().sign(
        root,
        key=credentials.private_key,
        cert=[credentials.certificate],
        reference_uri=f"#{de.get('Id')}",
        id_attribute="Id",
    )
    # With a default-namespace map signxml builds un-namespaced lxml elements that only serialize
    # with xmlns; re-parse so the tree is namespace-correct before post-processing.
    signed = parse_xml(etree.tostring(signed))
    signature = signed.find(TAG_SIGNATURE)
    if signature is None:  # pragma: no cover - signxml always appends it for enveloped signatures
        raise RuntimeError("signxml did not produce a Signature")
    for element in signature.iter():  # signxml wraps X509Certificate at 64 columns; SIFEN wants one line
        if element.text and "\n" in element.text:
            element.text = element.text.replace("\n", "")
    de = signed.find(TAG_DE)
    if de is not None and signature.getprevious() is not de:
        de.addnext(signature)
    return serialize(signed)
