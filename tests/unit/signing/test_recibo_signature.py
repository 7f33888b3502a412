"""The recibo digital (tipo 55, never sent to SIFEN) is signed with the DE's machinery
(facturasend-api §2.4): the XML-DSig profile of MT v150 §7.6 on ``rRec/Rec``. The signed recibo
validates against our recibo schema (docs/recibo_v1.xsd) and verifies with xmlsec1."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sifenflow_common.documents.engine import build_document
from sifenflow_common.documents.recibo import recibo_schema
from sifenflow_common.sifen.certificates import CertificateError, SigningCredentials
from sifenflow_common.sifen.recibo_signature import RECIBO_NS, is_recibo, sign_recibo
from sifenflow_common.sifen.signature import SignatureInputError
from sifenflow_common.sifen.test_ca import TestCA
from tests.fixtures.documents import load_fixture
from tests.fixtures.signing.unsigned_rde import RdeSpec, unsigned_rde
from tests.unit.signing.conftest import SIGNED_AT, xmlsec1_verify

pytestmark = pytest.mark.unit
R = "{" + RECIBO_NS + "}"


@pytest.fixture(scope="module")
def unsigned_recibo() -> tuple[str, bytes]:
    fixture = load_fixture("recibo")
    built = build_document(fixture["params"], fixture["data"], environment="test")
    return built.cdc, bytes(built.xml)


def test_signed_recibo_validates_against_its_schema_and_verifies_with_xmlsec1(
    unsigned_recibo: tuple[str, bytes],
    credentials: SigningCredentials,
    test_ca: TestCA,
    xmlsec1: str,
    tmp_path: Path,
) -> None:
    cdc, unsigned = unsigned_recibo
    assert is_recibo(unsigned) and not is_recibo(unsigned_rde(RdeSpec(items=1)))
    signed = sign_recibo(unsigned, credentials, signed_at=SIGNED_AT)
    root = etree.fromstring(signed)
    assert recibo_schema().validate(root), recibo_schema().error_log
    assert root.findtext(f"{R}Rec/{R}dFecFirma") == "2026-11-20T10:20:00"
    assert [etree.QName(c).localname for c in root] == ["dVerFor", "Rec", "Signature"]
    result = xmlsec1_verify(xmlsec1, signed, tmp_path, id_node="Rec", ca=test_ca)
    assert result.returncode == 0, result.stderr
    tampered = signed.replace(f'Id="{cdc}">'.encode(), f'Id="{cdc}"> '.encode(), 1)
    assert tampered != signed
    assert xmlsec1_verify(xmlsec1, tampered, tmp_path, id_node="Rec").returncode != 0


def test_a_certificate_of_another_ruc_cannot_sign_the_recibo(
    unsigned_recibo: tuple[str, bytes], other_ruc_credentials: SigningCredentials
) -> None:
    with pytest.raises(CertificateError):  # MT v150 0142: the certificate's RUC is the emisor's
        sign_recibo(unsigned_recibo[1], other_ruc_credentials, signed_at=SIGNED_AT)


def test_only_an_unsigned_recibo_is_signed(
    unsigned_recibo: tuple[str, bytes], credentials: SigningCredentials
) -> None:
    with pytest.raises(SignatureInputError) as not_recibo:
        sign_recibo(unsigned_rde(RdeSpec(items=1)), credentials, signed_at=SIGNED_AT)
    assert not_recibo.value.code == "XML_RAIZ_INVALIDA"
    signed = sign_recibo(unsigned_recibo[1], credentials, signed_at=SIGNED_AT)
    with pytest.raises(SignatureInputError) as twice:
        sign_recibo(signed, credentials, signed_at=SIGNED_AT)
    assert twice.value.code == "DE_YA_FIRMADO"
