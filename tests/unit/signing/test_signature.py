"""rDE signature: the SIFEN XML-DSig profile (MT v150 §7.6-7.7, sifen-protocol.md §6.1), checked by
our verifier and by Debian's xmlsec1 as an independent one."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from sifenflow_common.sifen.certificates import (
    CertificateExpiredError,
    CertificateRucMismatchError,
    SigningCredentials,
)
from sifenflow_common.sifen.dsig import sign_element
from sifenflow_common.sifen.namespaces import DSIG_NS, SIFEN_NS
from sifenflow_common.sifen.qr import add_qr
from sifenflow_common.sifen.signature import SignatureInputError, serialize, sign_rde, verify_rde
from sifenflow_common.sifen.signature_signxml import sign_rde_signxml
from sifenflow_common.sifen.test_ca import TestCA, ensure_test_ca
from sifenflow_common.sifen.xsd import SCHEMA_RDE, schema_errors
from tests.fixtures.signing.unsigned_rde import RdeSpec, unsigned_rde
from tests.unit.signing.conftest import CSC, SIGNED_AT, xmlsec1_verify

pytestmark = pytest.mark.unit

S = "{" + SIFEN_NS + "}"
D = "{" + DSIG_NS + "}"


@pytest.fixture(scope="module")
def signed(unsigned_fe: bytes, credentials: SigningCredentials) -> bytes:
    return sign_rde(unsigned_fe, credentials, signed_at=SIGNED_AT)


def _checks(report) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    return {c.name: c.ok for c in report.checks}


@pytest.mark.parametrize("i_ti_de", [1, 5])
def test_signed_rde_with_qr_validates_xsd_and_verifies_with_xmlsec1_and_ours(
    i_ti_de: int, credentials: SigningCredentials, test_ca: TestCA, xmlsec1: str, tmp_path: Path
) -> None:
    # MT v150 §7.6 (signature) + §13.8 (QR after signature): the final rDE validates against
    # siRecepDE_v150.xsd, and both verifiers accept it, with the chain to the test CA.
    signed = sign_rde(unsigned_rde(RdeSpec(i_ti_de=i_ti_de)), credentials, signed_at=SIGNED_AT)
    final = add_qr(signed, csc_id="0001", csc=CSC, environment="test")
    assert schema_errors(etree.fromstring(final), SCHEMA_RDE) == []
    result = xmlsec1_verify(xmlsec1, final, tmp_path, ca=test_ca)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout + result.stderr
    report = verify_rde(final, trusted_roots=[test_ca.certificate])
    assert report.ok, report.failures
    assert report.certificate_ruc == "80069563-1"
    assert report.issuer_ruc == "80069563-1"
    assert set(_checks(report)) >= {
        "estructura",
        "perfil",
        "digest",
        "firma",
        "certificado_vigencia",
        "certificado_cadena",
        "ruc",
    }


def test_signature_has_exactly_the_sifen_profile(signed: bytes) -> None:
    # sifen-protocol.md §6.1: default-namespace Signature right after DE, exc-c14n, RSA-SHA256,
    # SHA-256, one Reference #CDC with enveloped + exc-c14n transforms, only X509Certificate.
    assert b"ds:" not in signed and b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">' in signed
    root = etree.fromstring(signed)
    assert [child.tag for child in root] == [S + "dVerFor", S + "DE", D + "Signature"]
    signature = root[2]
    assert signature.prefix is None
    cdc = root[1].get("Id")
    info = signature.find(D + "SignedInfo")
    assert (
        info.find(D + "CanonicalizationMethod").get("Algorithm") == "http://www.w3.org/2001/10/xml-exc-c14n#"
    )
    assert (
        info.find(D + "SignatureMethod").get("Algorithm")
        == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    )
    references = info.findall(D + "Reference")
    assert len(references) == 1 and references[0].get("URI") == f"#{cdc}"
    assert [t.get("Algorithm") for t in references[0].iter(D + "Transform")] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    assert (
        references[0].find(D + "DigestMethod").get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#sha256"
    )
    key_info = signature.find(D + "KeyInfo")
    assert [e.tag for e in key_info.iter()] == [D + "KeyInfo", D + "X509Data", D + "X509Certificate"]
    for tag in ("DigestValue", "SignatureValue", "X509Certificate"):
        text = signature.find(f".//{D}{tag}").text
        assert text and "\n" not in text and " " not in text
        base64.b64decode(text, validate=True)
    assert len(references[0].find(D + "DigestValue").text) == 44  # base64 of a 32-byte SHA-256
    assert b"\n" not in signed.split(b"?>", 1)[1]


def test_dfecfirma_is_paraguay_local_time_without_fraction_or_offset(
    unsigned_fe: bytes, credentials: SigningCredentials
) -> None:
    # MT v150 A004 dFecFirma: YYYY-MM-DDThh:mm:ss, local time (UTC-3), set before signing.
    aware = datetime(2026, 11, 20, 13, 20, 7, 123456, tzinfo=UTC)
    signed = sign_rde(unsigned_fe, credentials, signed_at=aware)
    root = etree.fromstring(signed)
    assert root.findtext(f"{S}DE/{S}dFecFirma") == "2026-11-20T10:20:07"
    assert verify_rde(signed).ok  # dFecFirma is inside the signed DE


def test_direct_and_signxml_signers_produce_identical_bytes(
    unsigned_fe: bytes, credentials: SigningCredentials, signed: bytes
) -> None:
    # RSA PKCS#1 v1.5 is deterministic: same canonical SignedInfo → same SignatureValue.
    assert sign_rde_signxml(unsigned_fe, credentials, signed_at=SIGNED_AT) == signed


def _tamper_total(xml: bytes) -> bytes:
    marker = b"<dTotGralOpe>605000</dTotGralOpe>"
    assert marker in xml
    return xml.replace(marker, b"<dTotGralOpe>605001</dTotGralOpe>")


def test_one_changed_character_in_de_fails_both_verifiers(
    signed: bytes, xmlsec1: str, tmp_path: Path
) -> None:
    # SIFEN 0141: SignatureValue differs from the computed one when the document was altered.
    tampered = _tamper_total(signed)
    result = xmlsec1_verify(xmlsec1, tampered, tmp_path)
    assert result.returncode != 0
    report = verify_rde(tampered)
    assert not report.ok
    assert _checks(report)["digest"] is False


def test_one_changed_character_in_signature_value_fails_both_verifiers(
    signed: bytes, xmlsec1: str, tmp_path: Path
) -> None:
    root = etree.fromstring(signed)
    value = root.find(f"{D}Signature/{D}SignatureValue")
    text = value.text
    value.text = ("B" if text[10] != "B" else "C").join([text[:10], text[11:]])
    tampered = serialize(root)
    assert xmlsec1_verify(xmlsec1, tampered, tmp_path).returncode != 0
    report = verify_rde(tampered)
    assert _checks(report)["firma"] is False and _checks(report)["digest"] is True


def test_qr_appended_after_signing_keeps_the_signature_valid(
    signed: bytes, xmlsec1: str, tmp_path: Path
) -> None:
    # MT v150 §13.8 / protocol §5.3: gCamFuFD sits outside DE; the enveloped Reference #CDC ignores it.
    final = add_qr(signed, csc_id="0001", csc=CSC, environment="test")
    assert xmlsec1_verify(xmlsec1, final, tmp_path).returncode == 0
    assert verify_rde(final).ok


def test_pretty_printed_input_is_signed_compact(
    credentials: SigningCredentials, xmlsec1: str, tmp_path: Path
) -> None:
    # SIFEN 0105: no formatting whitespace between tags; the signer drops it before signing.
    pretty = etree.tostring(etree.fromstring(unsigned_rde()), pretty_print=True)
    assert b">\n  <" in pretty
    signed = sign_rde(pretty, credentials, signed_at=SIGNED_AT)
    assert b">\n" not in signed and b">  <" not in signed
    assert xmlsec1_verify(xmlsec1, signed, tmp_path).returncode == 0


def test_expired_certificate_is_refused_with_stable_code(
    unsigned_fe: bytes, expired_credentials: SigningCredentials
) -> None:
    # SIFEN 0121: signing certificate outside its validity at dFecFirma.
    with pytest.raises(CertificateExpiredError) as info:
        sign_rde(unsigned_fe, expired_credentials, signed_at=SIGNED_AT)
    assert info.value.code == "CERT_VENCIDO"
    assert "venció" in info.value.message


def test_certificate_of_another_ruc_is_refused_with_stable_code(
    unsigned_fe: bytes, other_ruc_credentials: SigningCredentials
) -> None:
    # SIFEN 0142: certificate RUC (serialNumber RUC80002201-7) is not dRucEm-dDVEmi (80069563-1).
    with pytest.raises(CertificateRucMismatchError) as info:
        sign_rde(unsigned_fe, other_ruc_credentials, signed_at=SIGNED_AT)
    assert info.value.code == "CERT_RUC_DISTINTO"
    assert "80002201-7" in info.value.message and "80069563-1" in info.value.message


def test_verifier_reports_foreign_ruc_expired_certificate_and_untrusted_chain(
    unsigned_fe: bytes,
    other_ruc_credentials: SigningCredentials,
    expired_credentials: SigningCredentials,
    tmp_path: Path,
) -> None:
    # A supplier's document signed with a certificate of another RUC still has a valid signature
    # but fails the RUC check (0142); an expired certificate fails the dates check (0121); a chain
    # to an unknown CA fails the chain check (0123).
    root = etree.fromstring(unsigned_fe)
    sign_element(root.find(S + "DE"), other_ruc_credentials)
    report = verify_rde(serialize(root))
    checks = _checks(report)
    assert checks["digest"] and checks["firma"] and not checks["ruc"] and not report.ok

    root = etree.fromstring(unsigned_fe)
    sign_element(root.find(S + "DE"), expired_credentials)
    checks = _checks(verify_rde(serialize(root)))
    assert checks["firma"] and not checks["certificado_vigencia"]

    other_ca = ensure_test_ca(tmp_path / "otra-ca")
    root = etree.fromstring(unsigned_fe)
    sign_element(root.find(S + "DE"), other_ruc_credentials)
    checks = _checks(verify_rde(serialize(root), trusted_roots=[other_ca.certificate]))
    assert checks["certificado_cadena"] is False


def test_verifier_uses_given_time_for_certificate_validity(signed: bytes) -> None:
    assert _checks(verify_rde(signed, at=datetime(2040, 1, 1, tzinfo=UTC)))["certificado_vigencia"] is False
    assert _checks(verify_rde(signed, at=datetime(2026, 11, 20, tzinfo=UTC)))["certificado_vigencia"] is True


def test_verifier_rejects_a_prefixed_or_misplaced_signature(signed: bytes) -> None:
    # SIFEN 0106 forbids namespace prefixes; the Signature must follow DE.
    prefixed = signed.replace(
        b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">',
        b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">',
    )
    prefixed = prefixed.replace(b"</Signature>", b"</ds:Signature>")
    for tag in (
        b"SignedInfo",
        b"CanonicalizationMethod",
        b"SignatureMethod",
        b"Reference",
        b"Transforms",
        b"Transform",
        b"DigestMethod",
        b"DigestValue",
        b"SignatureValue",
        b"KeyInfo",
        b"X509Data",
        b"X509Certificate",
    ):
        prefixed = (
            prefixed.replace(b"<" + tag + b">", b"<ds:" + tag + b">")
            .replace(b"<" + tag + b" ", b"<ds:" + tag + b" ")
            .replace(b"</" + tag + b">", b"</ds:" + tag + b">")
        )
    report = verify_rde(prefixed)
    assert not report.ok and _checks(report)["perfil"] is False

    root = etree.fromstring(signed)
    root.insert(1, root[2])  # Signature before DE
    report = verify_rde(serialize(root))
    assert _checks(report)["estructura"] is False


def test_signing_bad_input_gives_stable_codes(signed: bytes, credentials: SigningCredentials) -> None:
    cases = {
        b"<rDE": "XML_MALFORMADO",
        b"<otro xmlns='x'/>": "XML_RAIZ_INVALIDA",
        f'<rDE xmlns="{SIFEN_NS}"><dVerFor>150</dVerFor></rDE>'.encode(): "DE_AUSENTE",
        signed: "DE_YA_FIRMADO",
    }
    for xml, code in cases.items():
        with pytest.raises(SignatureInputError) as info:
            sign_rde(xml, credentials, signed_at=SIGNED_AT)
        assert info.value.code == code
    report = verify_rde(b"<rDE")
    assert not report.ok and report.checks[0].name == "estructura"


def test_supplier_document_with_whitespace_inside_de_verifies_unchanged(
    credentials: SigningCredentials, xmlsec1: str, tmp_path: Path
) -> None:
    # A document signed elsewhere with indentation inside DE: the verifier must read the bytes as
    # they are (no whitespace normalisation), or the digest of a valid signature would not match.
    pretty = etree.fromstring(etree.tostring(etree.fromstring(unsigned_rde()), pretty_print=True))
    sign_element(pretty.find(S + "DE"), credentials)
    signed = serialize(pretty)
    assert b">\n    <" in signed
    assert xmlsec1_verify(xmlsec1, signed, tmp_path).returncode == 0
    report = verify_rde(signed)
    assert report.ok, report.failures
    final = add_qr(signed, csc_id="0001", csc=CSC, environment="test")
    assert verify_rde(final).ok
