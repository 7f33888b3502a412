"""Signing and verifying an ``rDE`` (MT v150 §7.6-7.7; sifen-protocol.md §6.1).

``sign_rde`` sets ``DE/dFecFirma`` to the signing time (Paraguay local time, no fraction, no
offset) *before* signing, checks that SIFEN would accept the certificate (validity 0121, RUC 0142),
and inserts the enveloped ``Signature`` right after ``DE``. ``verify_rde`` checks a signed rDE,
ours or a supplier's, and reports every check instead of stopping at the first failure.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from sifenflow_common.sifen import dsig
from sifenflow_common.sifen.certificates import (
    SigningCredentials,
    certificate_ruc,
    checked_signing_time,
)
from sifenflow_common.sifen.dsig import sign_element
from sifenflow_common.sifen.namespaces import DSIG_NS, SIFEN_NS
from sifenflow_common.sifen.paraguay_time import (
    paraguay_local,
    paraguay_to_utc,
    parse_local_datetime,
)

__all__ = [
    "Check",
    "SignatureInputError",
    "VerificationReport",
    "issuer_ruc",
    "paraguay_local",
    "paraguay_to_utc",
    "parse_unsigned",
    "parse_xml",
    "prepare_for_signing",
    "serialize",
    "sign_element",
    "sign_rde",
    "sign_rde_tree",
    "signer_certificate",
    "splice_after_de",
    "verify_rde",
    "verify_signature",
]

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
_S = "{" + SIFEN_NS + "}"
_D = "{" + DSIG_NS + "}"
TAG_RDE = _S + "rDE"
TAG_DE = _S + "DE"
TAG_SIGNATURE = _D + "Signature"
_TAG_DFECFIRMA = _S + "dFecFirma"
_ISSUER_PATH = (_S + "gDatGralOpe", _S + "gEmis")
_TAG_DRUCEM = _S + "dRucEm"
_TAG_DDVEMI = _S + "dDVEmi"
_TAG_SIGNED_INFO = _D + "SignedInfo"
_TAG_C14N_METHOD = _D + "CanonicalizationMethod"
_TAG_SIGNATURE_METHOD = _D + "SignatureMethod"
_TAG_REFERENCE = _D + "Reference"
_TAG_TRANSFORMS = _D + "Transforms"
_TAG_TRANSFORM = _D + "Transform"
_TAG_DIGEST_METHOD = _D + "DigestMethod"
_TAG_DIGEST_VALUE = _D + "DigestValue"
_TAG_SIGNATURE_VALUE = _D + "SignatureValue"
_TAG_KEY_INFO = _D + "KeyInfo"
_TAG_X509_DATA = _D + "X509Data"
_TAG_X509_CERTIFICATE = _D + "X509Certificate"


def _child(parent: etree._Element, tag: str) -> etree._Element | None:
    """First child with ``tag`` (``parent.find(tag)`` without lxml's Python ElementPath layer)."""
    for child in parent.iterchildren(tag):
        return child
    return None


def _find_path(parent: etree._Element, tags: tuple[str, ...]) -> etree._Element | None:
    """``parent.find("a/b/c")`` for a path of plain child steps: first match in document order."""
    if not tags:
        return parent
    for child in parent.iterchildren(tags[0]):
        found = _find_path(child, tags[1:])
        if found is not None:
            return found
    return None


class SignatureInputError(ValueError):
    """The XML given to sign cannot be signed as an rDE; stable ``code`` and Spanish message."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


_local = threading.local()


def _parser(compact: bool) -> etree.XMLParser:
    # lxml parser objects must not be shared between threads.
    name = "compact" if compact else "exact"
    parser: etree.XMLParser | None = getattr(_local, name, None)
    if parser is None:
        parser = etree.XMLParser(
            remove_blank_text=compact, resolve_entities=False, no_network=True, huge_tree=False
        )
        setattr(_local, name, parser)
    return parser


def parse_xml(data: bytes, *, compact: bool = False) -> etree._Element:
    """Parse without network or entity expansion.

    ``compact=True`` (used before signing) drops formatting whitespace between tags: SIFEN rejects
    it (code 0105) and it would otherwise be signed. Signed documents are always parsed exactly
    as they are, since any change to the signed bytes would break the digest.
    """
    try:
        return etree.fromstring(data, _parser(compact))
    except etree.XMLSyntaxError as exc:
        raise SignatureInputError("XML_MALFORMADO", f"XML mal formado: {exc}") from exc


_BLANK_BETWEEN_TAGS = re.compile(rb">\s+<")


def parse_unsigned(data: bytes) -> etree._Element:
    """Parse a document about to be signed, dropping formatting whitespace between tags.

    The whitespace-dropping parser is about twice as slow, so it is only used when the input has
    whitespace between tags at all (the engine's output is already compact).
    """
    return parse_xml(data, compact=_BLANK_BETWEEN_TAGS.search(data) is not None)


def serialize(root: etree._Element) -> bytes:
    """UTF-8 bytes with one ``<?xml version="1.0" encoding="UTF-8"?>`` declaration, no pretty print."""
    return XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def issuer_ruc(de: etree._Element) -> str | None:
    """``dRucEm-dDVEmi`` of a DE, or None when absent."""
    emisor = _find_path(de, _ISSUER_PATH)
    if emisor is None:
        return None
    ruc = _issuer_field(de, emisor, _TAG_DRUCEM)
    dv = _issuer_field(de, emisor, _TAG_DDVEMI)
    if not ruc or dv is None:
        return None
    return f"{ruc.strip()}-{dv.strip()}"


def _issuer_field(de: etree._Element, first_emisor: etree._Element, tag: str) -> str | None:
    """``de.findtext("gDatGralOpe/gEmis/<tag>")``: the first gEmis almost always has it."""
    element = _child(first_emisor, tag)
    if element is None:  # a later gEmis could (schema-invalid, but answer as findtext would)
        element = _find_path(de, (*_ISSUER_PATH, tag))
    return (element.text or "") if element is not None else None


def _find_de(root: etree._Element) -> etree._Element:
    if root.tag != TAG_RDE:
        raise SignatureInputError(
            "XML_RAIZ_INVALIDA", f"Se esperaba rDE en el espacio de nombres SIFEN, llegó {root.tag}"
        )
    de = _child(root, TAG_DE)
    if de is None:
        raise SignatureInputError("DE_AUSENTE", "El rDE no contiene el elemento DE")
    if not de.get("Id"):
        raise SignatureInputError("DE_SIN_ID", "DE no tiene el atributo Id (CDC)")
    return de


def sign_rde(
    unsigned_xml: bytes, credentials: SigningCredentials, *, signed_at: datetime | None = None
) -> bytes:
    """Signed rDE bytes. ``signed_at`` defaults to now; naive values are Paraguay local time.

    Raises ``SignatureInputError`` for XML that is not an unsigned rDE and ``CertificateError``
    subclasses when SIFEN would reject the certificate (expired 0121, RUC not the issuer's 0142).
    """
    root = parse_unsigned(unsigned_xml)
    de = prepare_for_signing(root, credentials, signed_at=signed_at)
    signature = dsig.signature_xml(de.get("Id", ""), dsig.digest_b64(de), credentials)
    return splice_after_de(root, de, signature)


_RDE_END = b"</rDE>"


def splice_after_de(root: etree._Element, de: etree._Element, fragment: bytes) -> bytes:
    """Serialized ``root`` with ``fragment`` (Signature, QR group) written right after ``DE``.

    When ``DE`` is the last child of an unprefixed ``rDE`` (what every unsigned rDE looks like) the
    bytes are spliced in front of ``</rDE>``, sparing a parse of the fragment; the result is the
    same as inserting the parsed fragment into the tree and serializing it.
    """
    if de.getnext() is None and not de.tail and root.prefix is None:
        body = serialize(root)
        if body.endswith(_RDE_END):
            return body[: -len(_RDE_END)] + fragment + _RDE_END
    wrapper = etree.fromstring(b'<w xmlns="' + SIFEN_NS.encode() + b'">' + fragment + b"</w>")
    anchor = de
    for element in list(wrapper):
        anchor.addnext(element)
        anchor = element
    return serialize(root)


def sign_rde_tree(
    root: etree._Element, credentials: SigningCredentials, *, signed_at: datetime | None = None
) -> etree._Element:
    """``sign_rde`` on an already parsed (compact) rDE tree, modified in place and returned."""
    de = prepare_for_signing(root, credentials, signed_at=signed_at)
    sign_element(de, credentials)
    return root


def prepare_for_signing(
    root: etree._Element, credentials: SigningCredentials, *, signed_at: datetime | None = None
) -> etree._Element:
    """Checks and ``dFecFirma`` of ``sign_rde``, without the signature itself; returns ``DE``."""
    de = _find_de(root)
    if root.find(TAG_SIGNATURE) is not None or de.find(f".//{TAG_SIGNATURE}") is not None:
        raise SignatureInputError("DE_YA_FIRMADO", "El rDE ya contiene una firma")
    fec_firma = de.find(f"{_S}dFecFirma")
    if fec_firma is None:
        raise SignatureInputError("DFECFIRMA_AUSENTE", "DE no contiene dFecFirma (A004)")
    ruc = issuer_ruc(de)
    if ruc is None:
        raise SignatureInputError("EMISOR_AUSENTE", "DE no contiene gEmis/dRucEm y dDVEmi")
    fec_firma.text = checked_signing_time(credentials, issuer_ruc=ruc, signed_at=signed_at)
    return de


# ---------------------------------------------------------------------------------------------
# Verification


class Check(NamedTuple):
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class VerificationReport:
    ok: bool
    checks: list[Check]
    digest_value: str | None = None
    certificate_ruc: str | None = None
    cdc: str | None = None
    signed_at: str | None = None
    certificate_subject: str | None = None
    issuer_ruc: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


class SignerCertificate(NamedTuple):
    certificate: x509.Certificate
    ruc: str | None
    may_sign: bool | None  # keyUsage digitalSignature/nonRepudiation; None without keyUsage
    subject: str
    public_key: object  # parsed once; RSAPublicKey for every certificate SIFEN accepts
    not_before: datetime | None = None  # aware UTC
    not_after: datetime | None = None
    validity_text: str = ""  # "válido de … a … UTC", formatted once


@lru_cache(maxsize=512)
def signer_certificate(der_b64: str) -> SignerCertificate:
    """Parsing a certificate and its extensions costs more than the RSA verification: cache it.

    Keyed on the exact base64 text of the certificate, so no other certificate can hit the entry.
    """
    certificate = x509.load_der_x509_certificate(base64.b64decode(der_b64, validate=False))
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        may_sign: bool | None = usage.digital_signature or usage.content_commitment
    except x509.ExtensionNotFound:
        may_sign = None
    before, after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    return SignerCertificate(
        certificate,
        certificate_ruc(certificate),
        may_sign,
        certificate.subject.rfc4514_string(),
        certificate.public_key(),
        before,
        after,
        f"válido de {before:%Y-%m-%d %H:%M} a {after:%Y-%m-%d %H:%M} UTC",
    )


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


_ALLOWED_C14N = (dsig.C14N_EXCLUSIVE, dsig.C14N_INCLUSIVE)
_PKCS1V15 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()


class _SignatureParts(NamedTuple):
    signed_info: etree._Element
    c14n_method: str
    reference_uri: str
    transforms: list[str]
    digest_value: str
    signature_value: bytes
    certificate_b64: str


def _has_blank(value: str) -> bool:
    # four substring tests run at C speed; a regex character class is slower on a 1.6 kB certificate
    return "\n" in value or "\r" in value or "\t" in value or " " in value


def _children(parent: etree._Element) -> dict[object, list[etree._Element]]:
    """Children grouped by tag, in document order (comments and PIs under their factory)."""
    groups: dict[object, list[etree._Element]] = {}
    for child in parent:
        tag = child.tag
        group = groups.get(tag)
        if group is None:
            groups[tag] = [child]
        else:
            group.append(child)
    return groups


def _first(groups: dict[object, list[etree._Element]], tag: str) -> etree._Element | None:
    group = groups.get(tag)
    return group[0] if group else None


_PROFILE_OK = Check("perfil", True, "perfil SIFEN de XML-DSig")
_EXPECTED_TRANSFORMS = [dsig.ENVELOPED, dsig.C14N_EXCLUSIVE]


def _profile_exact(signature: etree._Element) -> _SignatureParts | None:
    """The parts of a Signature laid out exactly as the profile writes it (no comments, no extra
    children, values on one line), read by position; None for anything else, which ``_profile``
    then examines in full. Whatever this accepts, ``_profile`` accepts with the same parts."""
    if signature.prefix is not None or len(signature) != 3:
        return None
    signed_info, signature_value, key_info = signature
    if (
        signed_info.tag != _TAG_SIGNED_INFO
        or signature_value.tag != _TAG_SIGNATURE_VALUE
        or key_info.tag != _TAG_KEY_INFO
        or len(signed_info) != 3
        or len(key_info) != 1
    ):
        return None
    c14n, method, reference = signed_info
    x509_data = key_info[0]
    if (
        c14n.tag != _TAG_C14N_METHOD
        or method.tag != _TAG_SIGNATURE_METHOD
        or reference.tag != _TAG_REFERENCE
        or len(reference) != 3
        or x509_data.tag != _TAG_X509_DATA
        or len(x509_data) != 1
    ):
        return None
    c14n_method = c14n.get("Algorithm", "")
    if c14n_method not in _ALLOWED_C14N or method.get("Algorithm") != dsig.RSA_SHA256:
        return None
    transforms_group, digest_method, digest_element = reference
    certificate = x509_data[0]
    if (
        transforms_group.tag != _TAG_TRANSFORMS
        or digest_method.tag != _TAG_DIGEST_METHOD
        or digest_element.tag != _TAG_DIGEST_VALUE
        or certificate.tag != _TAG_X509_CERTIFICATE
        or digest_method.get("Algorithm") != dsig.SHA256
        or len(transforms_group) != 2
    ):
        return None
    transforms = [t.get("Algorithm", "") for t in transforms_group]
    if transforms != _EXPECTED_TRANSFORMS or any(t.tag != _TAG_TRANSFORM for t in transforms_group):
        return None
    digest_value = _text(digest_element)
    signature_value_text = _text(signature_value)
    certificate_b64 = _text(certificate)
    if _has_blank(digest_value) or _has_blank(signature_value_text) or _has_blank(certificate_b64):
        return None
    try:
        value = base64.b64decode(signature_value_text, validate=True)
    except ValueError:
        return None
    if "".join(certificate_b64.split()) != certificate_b64:  # other Unicode spaces: full path
        return None
    return _SignatureParts(
        signed_info=signed_info,
        c14n_method=c14n_method,
        reference_uri=reference.get("URI", ""),
        transforms=transforms,
        digest_value=digest_value,
        signature_value=value,
        certificate_b64=certificate_b64,
    )


def _profile(signature: etree._Element, checks: list[Check]) -> _SignatureParts | None:
    parts = _profile_exact(signature)
    if parts is not None:
        checks.append(_PROFILE_OK)
        return parts
    problems: list[str] = []
    if signature.prefix is not None:
        problems.append("Signature usa prefijo de espacio de nombres (SIFEN 0106)")
    in_signature = _children(signature)
    signed_info = _first(in_signature, _TAG_SIGNED_INFO)
    if signed_info is None:
        checks.append(Check("perfil", False, "Signature sin SignedInfo (SIFEN 0140)"))
        return None
    in_signed_info = _children(signed_info)
    c14n = _first(in_signed_info, _TAG_C14N_METHOD)
    c14n_method = c14n.get("Algorithm", "") if c14n is not None else ""
    if c14n_method not in _ALLOWED_C14N:
        problems.append(f"CanonicalizationMethod no admitido: {c14n_method or '(ausente)'}")
    method = _first(in_signed_info, _TAG_SIGNATURE_METHOD)
    if method is None or method.get("Algorithm") != dsig.RSA_SHA256:
        problems.append("SignatureMethod debe ser rsa-sha256")
    references = in_signed_info.get(_TAG_REFERENCE, [])
    if len(references) != 1:
        checks.append(
            Check("perfil", False, f"Se esperaba una Reference, hay {len(references)} (SIFEN 0140)")
        )
        return None
    reference = references[0]
    uri = reference.get("URI", "")
    in_reference = _children(reference)
    transforms = [
        t.get("Algorithm", "")
        for group in in_reference.get(_TAG_TRANSFORMS, ())
        for t in group.iterchildren(_TAG_TRANSFORM)
    ]
    if transforms != [dsig.ENVELOPED, dsig.C14N_EXCLUSIVE]:
        problems.append("Transforms deben ser enveloped-signature y exc-c14n, en ese orden (SIFEN 0140)")
    digest_method = _first(in_reference, _TAG_DIGEST_METHOD)
    if digest_method is None or digest_method.get("Algorithm") != dsig.SHA256:
        problems.append("DigestMethod debe ser sha256")
    digest_value = _text(_first(in_reference, _TAG_DIGEST_VALUE))
    signature_value_text = _text(_first(in_signature, _TAG_SIGNATURE_VALUE))
    key_info = _first(in_signature, _TAG_KEY_INFO)
    certificate_b64 = ""
    if key_info is None:
        problems.append("Falta KeyInfo")
    else:
        in_key_info = _children(key_info)
        x509_data = in_key_info.pop(_TAG_X509_DATA, [])
        certs: list[etree._Element] = []
        extras = False
        for data in x509_data:
            for c in data:
                if c.tag == _TAG_X509_CERTIFICATE:
                    certs.append(c)
                else:
                    extras = True
        if in_key_info or extras:
            problems.append("KeyInfo sólo debe contener X509Data/X509Certificate")
        if len(certs) != 1:
            problems.append(f"Se esperaba un X509Certificate, hay {len(certs)}")
        if certs:
            certificate_b64 = _text(certs[0])
    if _has_blank(digest_value):
        problems.append("DigestValue contiene saltos de línea o espacios")
    if _has_blank(signature_value_text):
        problems.append("SignatureValue contiene saltos de línea o espacios")
    if _has_blank(certificate_b64):
        problems.append("X509Certificate contiene saltos de línea o espacios")
    try:
        signature_value = base64.b64decode("".join(signature_value_text.split()), validate=True)
    except ValueError:
        problems.append("SignatureValue no es base64")
        signature_value = b""
    checks.append(Check("perfil", not problems, "; ".join(problems) or "perfil SIFEN de XML-DSig"))
    return _SignatureParts(
        signed_info=signed_info,
        c14n_method=c14n_method,
        reference_uri=uri,
        transforms=transforms,
        digest_value=digest_value,
        signature_value=signature_value,
        certificate_b64="".join(certificate_b64.split()),
    )


def _referenced(root: etree._Element, uri: str) -> etree._Element | None:
    if not uri.startswith("#"):
        return None
    wanted = uri[1:]
    if root.get("Id") == wanted:
        return root
    for element in root.iter():
        if element.get("Id") == wanted:
            return element
    return None


def _digest_of(target: etree._Element, signature: etree._Element, transforms: list[str]) -> str:
    c14n = next((t for t in reversed(transforms) if t != dsig.ENVELOPED), dsig.C14N_INCLUSIVE)
    # Is the signature inside the signed subtree? Walking up from the signature is a couple of
    # steps; walking down the whole target would visit every element of the DE.
    inside = target is signature or any(a is target for a in signature.iterancestors())
    if dsig.ENVELOPED in transforms and inside:
        parent = signature.getparent()
        assert parent is not None
        index = parent.index(signature)
        tail = signature.tail
        parent.remove(signature)
        try:
            data = dsig.canonicalize(target, c14n)
        finally:
            signature.tail = tail
            parent.insert(index, signature)
    else:
        data = dsig.canonicalize(target, c14n)
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def _validity(facts: SignerCertificate, moment: datetime, checks: list[Check]) -> None:
    before, after = facts.not_before, facts.not_after
    assert before is not None and after is not None
    ok = before <= moment <= after
    detail = (
        f"{facts.validity_text}; evaluado al {moment.year}-{moment.month:02d}-{moment.day:02d}"
        f" {moment.hour:02d}:{moment.minute:02d} UTC"
    )
    checks.append(
        Check("certificado_vigencia", ok, detail if ok else f"fuera de vigencia (SIFEN 0121): {detail}")
    )


_KEY_USAGE_CHECKS = {
    None: Check("certificado_uso", True, "sin extensión keyUsage"),
    True: Check("certificado_uso", True, "keyUsage permite firmar"),
    False: Check("certificado_uso", False, "keyUsage sin digitalSignature/nonRepudiation (SIFEN 0120)"),
}


class _ChainFacts(NamedTuple):
    """Moment-independent outcome of the chain check of one certificate against one root list."""

    anchor: x509.Certificate | None  # the first root that is or issued the certificate
    is_root: bool
    detail: str
    anchor_not_before: datetime | None = None
    anchor_not_after: datetime | None = None


@lru_cache(maxsize=1024)
def _chain_facts(der_b64: str, trusted_roots: tuple[x509.Certificate, ...]) -> _ChainFacts:
    """Keyed on the exact certificate text and the roots themselves (compared by content): the
    issuer's RSA verification is done once per (certificate, roots), never per document."""
    certificate = signer_certificate(der_b64).certificate
    for anchor in trusted_roots:
        if anchor == certificate:
            return _ChainFacts(anchor, True, "el certificado es una raíz de confianza")
        if anchor.subject != certificate.issuer:
            continue
        try:
            certificate.verify_directly_issued_by(anchor)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return _ChainFacts(
            anchor,
            False,
            f"emitido por {anchor.subject.rfc4514_string()}",
            anchor.not_valid_before_utc,
            anchor.not_valid_after_utc,
        )
    return _ChainFacts(
        None,
        False,
        f"emisor {certificate.issuer.rfc4514_string()} no está entre las raíces de confianza (SIFEN 0123)",
    )


def _chain(
    der_b64: str,
    trusted_roots: Sequence[x509.Certificate],
    moment: datetime,
    checks: list[Check],
) -> None:
    facts = _chain_facts(der_b64, tuple(trusted_roots))
    if facts.anchor is None:
        checks.append(Check("certificado_cadena", False, facts.detail))
    elif not facts.is_root and not (
        facts.anchor_not_before is not None
        and facts.anchor_not_after is not None
        and facts.anchor_not_before <= moment <= facts.anchor_not_after
    ):
        checks.append(Check("certificado_cadena", False, "la raíz emisora no está vigente (SIFEN 0123)"))
    else:
        checks.append(Check("certificado_cadena", True, facts.detail))


_DIGEST_OK = Check("digest", True, "DigestValue coincide")
_SIGNATURE_OK = Check("firma", True, "SignatureValue válido")
_SIGNATURE_BAD = Check("firma", False, "SignatureValue no corresponde a SignedInfo (SIFEN 0141)")
_NOT_RSA = Check("firma", False, "la clave del certificado no es RSA")


def _signature_value_check(parts: _SignatureParts, facts: SignerCertificate) -> Check:
    public_key = facts.public_key
    if not isinstance(public_key, rsa.RSAPublicKey):
        return _NOT_RSA
    c14n = parts.c14n_method if parts.c14n_method in _ALLOWED_C14N else dsig.C14N_EXCLUSIVE
    try:
        public_key.verify(
            parts.signature_value, dsig.canonicalize(parts.signed_info, c14n), _PKCS1V15, _SHA256
        )
    except InvalidSignature:
        return _SIGNATURE_BAD
    return _SIGNATURE_OK


def _verify_signature(
    root: etree._Element,
    signature: etree._Element,
    trusted_roots: Sequence[x509.Certificate] | None,
    at: datetime | None,
) -> tuple[list[Check], _SignatureParts | None, SignerCertificate | None]:
    checks: list[Check] = []
    parts = _profile(signature, checks)
    if parts is None:
        return checks, None, None
    # The RSA check runs before the digest (the report keeps the digest first): it is cheaper
    # while the small SignedInfo is still warm in the CPU caches after _profile read it.
    facts: SignerCertificate | None
    try:
        facts = signer_certificate(parts.certificate_b64)
    except ValueError as exc:
        facts = None
        signature_check = Check("firma", False, f"X509Certificate ilegible: {exc}")
    else:
        signature_check = _signature_value_check(parts, facts)
    target = _referenced(root, parts.reference_uri)
    if target is None:
        checks.append(
            Check("digest", False, f"Reference {parts.reference_uri!r} no apunta a ningún Id (SIFEN 0140)")
        )
    else:
        computed = _digest_of(target, signature, parts.transforms)
        checks.append(
            _DIGEST_OK
            if computed == parts.digest_value
            else Check("digest", False, f"DigestValue no coincide: calculado {computed} (SIFEN 0141)")
        )
    checks.append(signature_check)
    if facts is None:
        return checks, parts, None
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    _validity(facts, moment, checks)
    checks.append(_KEY_USAGE_CHECKS[facts.may_sign])
    if trusted_roots is not None:
        _chain(parts.certificate_b64, trusted_roots, moment, checks)
    return checks, parts, facts


def verify_signature(
    root: etree._Element,
    signature: etree._Element,
    *,
    trusted_roots: Sequence[x509.Certificate] | None = None,
    at: datetime | None = None,
) -> tuple[list[Check], str | None, SignerCertificate | None]:
    """Checks of one enveloped signature: profile, digest, RSA value, certificate dates/usage/chain.

    Returns (checks, DigestValue, signer facts: ``.certificate``, ``.ruc``, ``.subject``; None when
    the certificate is unreadable).
    """
    checks, parts, facts = _verify_signature(root, signature, trusted_roots, at)
    return checks, parts.digest_value if parts is not None else None, facts


def verify_rde(
    xml: bytes,
    *,
    trusted_roots: Sequence[x509.Certificate] | None = None,
    at: datetime | None = None,
) -> VerificationReport:
    """Verify a signed rDE: profile, digest, signature value, certificate validity at ``at``
    (default: the document's dFecFirma), chain against ``trusted_roots`` when given, and the
    certificate RUC against ``dRucEm-dDVEmi`` (SIFEN 0142)."""
    try:
        root = parse_xml(xml)
    except SignatureInputError as exc:
        return VerificationReport(ok=False, checks=[Check("estructura", False, exc.message)])
    return verify_rde_tree(root, trusted_roots=trusted_roots, at=at)


def verify_rde_tree(
    root: etree._Element,
    *,
    trusted_roots: Sequence[x509.Certificate] | None = None,
    at: datetime | None = None,
) -> VerificationReport:
    """``verify_rde`` of an rDE already parsed exactly as received (``parse_xml``, not compact)."""
    try:
        de = _find_de(root)
    except SignatureInputError as exc:
        return VerificationReport(ok=False, checks=[Check("estructura", False, exc.message)])
    cdc = de.get("Id")
    fec_firma = _child(de, _TAG_DFECFIRMA)
    signed_at = (fec_firma.text or "") if fec_firma is not None else None
    signatures = list(root.iterchildren(TAG_SIGNATURE))
    if len(signatures) != 1:
        detail = "no hay Signature como hijo de rDE" if not signatures else "hay más de una Signature"
        return VerificationReport(
            ok=False, checks=[Check("estructura", False, detail)], cdc=cdc, signed_at=signed_at
        )
    signature = signatures[0]
    placed = signature.getprevious() is de
    checks: list[Check] = [
        Check(
            "estructura",
            placed,
            "Signature inmediatamente después de DE" if placed else "Signature no sigue a DE",
        )
    ]
    moment = at
    if moment is None and signed_at:
        try:
            moment = paraguay_to_utc(parse_local_datetime(signed_at))
        except ValueError:
            checks.append(Check("dFecFirma", False, f"dFecFirma con formato inválido: {signed_at!r}"))
    signature_checks, parts, signer = _verify_signature(root, signature, trusted_roots, moment)
    checks.extend(signature_checks)
    # _profile returns parts only when SignedInfo has exactly one Reference: its URI is the one
    # ``SignedInfo/Reference`` would find.
    uri = parts.reference_uri if parts is not None else _reference_uri(signature)
    if cdc is None or uri != f"#{cdc}":
        checks.append(Check("referencia", False, f"la Reference no apunta a #{cdc} (SIFEN 0140)"))
    emisor = issuer_ruc(de)
    cert_ruc = signer.ruc if signer is not None else None
    if signer is not None:
        if cert_ruc is None:
            checks.append(Check("ruc", False, "el certificado no contiene RUC (SIFEN 0122)"))
        else:
            same = emisor is not None and _same_ruc(cert_ruc, emisor)
            checks.append(
                Check(
                    "ruc",
                    same,
                    f"RUC del certificado {cert_ruc} = emisor"
                    if same
                    else f"RUC del certificado {cert_ruc} distinto del emisor {emisor} (SIFEN 0142)",
                )
            )
    return VerificationReport(
        ok=all(c.ok for c in checks),
        checks=checks,
        digest_value=parts.digest_value if parts is not None else None,
        certificate_ruc=cert_ruc,
        cdc=cdc,
        signed_at=signed_at,
        certificate_subject=signer.subject if signer is not None else None,
        issuer_ruc=emisor,
    )


def _reference_uri(signature: etree._Element) -> str | None:
    reference = _find_path(signature, (_TAG_SIGNED_INFO, _TAG_REFERENCE))
    return reference.get("URI") if reference is not None else None


def _same_ruc(a: str, b: str) -> bool:
    na, _, da = a.strip().upper().partition("-")
    nb, _, db = b.strip().upper().partition("-")
    return na.lstrip("0") == nb.lstrip("0") and da == db
