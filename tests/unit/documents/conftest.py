"""Helpers for document-engine tests: placeholder Signature + gCamFuFD for XSD validation."""

from __future__ import annotations

from datetime import datetime

import pytest
from lxml import etree

from sifenflow_common.sifen.namespaces import DSIG_NS, SIFEN_NS
from sifenflow_common.sifen.xml_write import to_element

FIXED_NOW = datetime(2024, 6, 15, 10, 31, 0)


def with_placeholder_signature(xml: bytes) -> etree._Element:
    """The unsigned rDE plus a structurally valid ds:Signature and gCamFuFD (issue 2, item 7).

    The official schema requires both after DE; signing is another area's job, so the tests add a
    placeholder with the shape of MT v150 §7 (enveloped, exc-c14n, RSA-SHA256, SHA-256 digest).
    """
    root = to_element(xml)
    de = root.find(f"{{{SIFEN_NS}}}DE")
    assert de is not None
    ds = f"{{{DSIG_NS}}}"
    sig = etree.SubElement(root, ds + "Signature", nsmap={None: DSIG_NS})
    si = etree.SubElement(sig, ds + "SignedInfo")
    etree.SubElement(si, ds + "CanonicalizationMethod", Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    etree.SubElement(
        si, ds + "SignatureMethod", Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    )
    ref = etree.SubElement(si, ds + "Reference", URI="#" + de.get("Id", ""))
    tr = etree.SubElement(ref, ds + "Transforms")
    etree.SubElement(tr, ds + "Transform", Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature")
    etree.SubElement(tr, ds + "Transform", Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    etree.SubElement(ref, ds + "DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    etree.SubElement(ref, ds + "DigestValue").text = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    etree.SubElement(sig, ds + "SignatureValue").text = "AAAA"
    ki = etree.SubElement(sig, ds + "KeyInfo")
    x509 = etree.SubElement(ki, ds + "X509Data")
    etree.SubElement(x509, ds + "X509Certificate").text = "AAAA"
    fu = etree.SubElement(root, f"{{{SIFEN_NS}}}gCamFuFD")
    etree.SubElement(fu, f"{{{SIFEN_NS}}}dCarQR").text = (
        "https://ekuatia.set.gov.py/consultas-test/qr?nVersion=150&Id=" + de.get("Id", "") + "&" + "x" * 40
    )
    return root


@pytest.fixture
def signed_placeholder():  # type: ignore[no-untyped-def]
    return with_placeholder_signature
