"""XML-DSig of the SIFEN profile done directly with lxml (c14n) and cryptography (RSA, SHA-256).

Profile (MT v150 §7.6-7.7, sifen-protocol.md §6.1): enveloped signature, exclusive c14n, RSA-SHA256,
SHA-256 digest, exactly one Reference ``#<Id>`` with the transforms enveloped-signature then
exc-c14n, ``KeyInfo/X509Data/X509Certificate`` only, ``Signature`` in the default namespace
(no ``ds:`` prefix, SIFEN 0106), base64 values on one line, placed right after the signed element.

Because ``SignedInfo`` is ours, its exclusive canonical form is known in advance and is produced
from a template instead of being canonicalized at run time; the verifier canonicalizes whatever
arrives. signxml produces the same bytes (see ``signature_signxml`` and the tests) but is slower.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

from sifenflow_common.sifen.certificates import SigningCredentials
from sifenflow_common.sifen.namespaces import DSIG_NS

C14N_EXCLUSIVE: Final = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N_INCLUSIVE: Final = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_EXCLUSIVE_WITH_COMMENTS: Final = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
C14N_INCLUSIVE_WITH_COMMENTS: Final = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
RSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256: Final = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED: Final = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

_SIGNED_INFO: Final = (
    '<SignedInfo xmlns="' + DSIG_NS + '">'
    '<CanonicalizationMethod Algorithm="' + C14N_EXCLUSIVE + '"></CanonicalizationMethod>'
    '<SignatureMethod Algorithm="' + RSA_SHA256 + '"></SignatureMethod>'
    '<Reference URI="#{ref}"><Transforms>'
    '<Transform Algorithm="' + ENVELOPED + '"></Transform>'
    '<Transform Algorithm="' + C14N_EXCLUSIVE + '"></Transform>'
    "</Transforms>"
    '<DigestMethod Algorithm="' + SHA256 + '"></DigestMethod>'
    "<DigestValue>{digest}</DigestValue></Reference></SignedInfo>"
)
# The same Signature as it is written into the document: lxml's serialization of it (empty
# elements self-closed), so the byte-spliced fast path and the tree path give identical output.
_SIGNATURE_DOC: Final = (
    '<Signature xmlns="' + DSIG_NS + '"><SignedInfo>'
    '<CanonicalizationMethod Algorithm="' + C14N_EXCLUSIVE + '"/>'
    '<SignatureMethod Algorithm="' + RSA_SHA256 + '"/>'
    '<Reference URI="#{ref}"><Transforms>'
    '<Transform Algorithm="' + ENVELOPED + '"/>'
    '<Transform Algorithm="' + C14N_EXCLUSIVE + '"/>'
    "</Transforms>"
    '<DigestMethod Algorithm="' + SHA256 + '"/>'
    "<DigestValue>{digest}</DigestValue></Reference></SignedInfo>"
    "<SignatureValue>{value}</SignatureValue>"
    "<KeyInfo><X509Data><X509Certificate>{cert}</X509Certificate></X509Data></KeyInfo></Signature>"
)


def canonicalize(element: etree._Element, algorithm: str = C14N_EXCLUSIVE) -> bytes:
    """Canonical bytes of ``element``'s subtree under one of the four c14n 1.0 algorithms."""
    exclusive = algorithm in (C14N_EXCLUSIVE, C14N_EXCLUSIVE_WITH_COMMENTS)
    comments = algorithm in (C14N_EXCLUSIVE_WITH_COMMENTS, C14N_INCLUSIVE_WITH_COMMENTS)
    if not exclusive and algorithm not in (C14N_INCLUSIVE, C14N_INCLUSIVE_WITH_COMMENTS):
        raise ValueError(f"unsupported canonicalization {algorithm}")
    return etree.tostring(element, method="c14n", exclusive=exclusive, with_comments=comments)


def digest_b64(element: etree._Element) -> str:
    """Base64 SHA-256 of the exclusive c14n of ``element`` (the enveloped transform is a no-op
    because the signature is a sibling, never a descendant, of the signed element)."""
    return base64.b64encode(hashlib.sha256(canonicalize(element)).digest()).decode("ascii")


def signed_info_c14n(reference_id: str, digest_value: str) -> bytes:
    """Exclusive canonical form of our ``SignedInfo`` (what the RSA signature covers)."""
    return _SIGNED_INFO.format(ref=_attr_escape(reference_id), digest=digest_value).encode("utf-8")


def signature_xml(reference_id: str, digest_value: str, credentials: SigningCredentials) -> bytes:
    """Complete ``<Signature xmlns="…xmldsig#">`` for an element whose Id is ``reference_id``."""
    signed_info = signed_info_c14n(reference_id, digest_value)
    value = credentials.private_key.sign(signed_info, padding.PKCS1v15(), hashes.SHA256())
    return _SIGNATURE_DOC.format(
        ref=_attr_escape(reference_id),
        digest=digest_value,
        value=base64.b64encode(value).decode("ascii"),
        cert=credentials.certificate_der_b64,
    ).encode("utf-8")


def sign_element(target: etree._Element, credentials: SigningCredentials) -> etree._Element:
    """Sign ``target`` (which carries ``Id``) and insert the Signature right after it.

    Returns the inserted ``Signature`` element. The caller keeps the tree compact: whitespace
    between tags would be signed too (and SIFEN rejects it, code 0105).
    """
    reference_id = target.get("Id")
    if not reference_id:
        raise ValueError("the element to sign has no Id attribute")
    signature = etree.fromstring(signature_xml(reference_id, digest_b64(target), credentials))
    signature.tail = target.tail
    target.tail = None
    target.addnext(signature)
    return signature


def _attr_escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
