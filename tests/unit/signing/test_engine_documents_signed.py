"""Every document type of part 1 (engine fixtures), signed and with its QR, validates against the
official siRecepDE_v150.xsd and verifies with xmlsec1 and with our verifier (issue 3, "done when";
MT v150 §7.6 signature, §13.8 QR)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sifenflow_common.documents.engine import build_document
from sifenflow_common.sifen.certificates import SigningCredentials
from sifenflow_common.sifen.qr import sign_rde_with_qr, verify_qr
from sifenflow_common.sifen.signature import verify_rde
from sifenflow_common.sifen.test_ca import TestCA
from sifenflow_common.sifen.xsd import SCHEMA_RDE, schema_errors
from tests.fixtures.documents import FIXTURE_NAMES, load_fixture
from tests.unit.signing.conftest import CSC, xmlsec1_verify

pytestmark = pytest.mark.unit

# The Recibo digital (tipo 55) is a sifenflow document that is never sent to SIFEN: it is not an rDE.


def _tipo(name: str) -> int:
    data = load_fixture(name)["data"]
    return int(data.get("tipoDocumento", data.get("tipo_documento")))  # snake_case alias accepted


SIFEN_DOCUMENTS = [name for name in FIXTURE_NAMES if _tipo(name) != 55]
S = "{http://ekuatia.set.gov.py/sifen/xsd}"


def test_every_part_1_document_type_is_covered() -> None:
    types = {_tipo(name) for name in SIFEN_DOCUMENTS}
    assert types == {1, 4, 5, 6, 7, 9, 10}  # FE, AFE, NCE, NDE, NRE, boleta de venta, boleta resimple


@pytest.mark.parametrize("name", SIFEN_DOCUMENTS)
def test_engine_document_signed_validates_and_verifies(
    name: str, credentials: SigningCredentials, test_ca: TestCA, xmlsec1: str, tmp_path: Path
) -> None:
    fixture = load_fixture(name)
    built = build_document(fixture["params"], fixture["data"], environment="test")
    root = etree.fromstring(built.xml)
    emisor = root.find(f"{S}DE/{S}gDatGralOpe/{S}gEmis")
    assert f"{emisor.findtext(S + 'dRucEm')}-{emisor.findtext(S + 'dDVEmi')}" == credentials.ruc
    final = sign_rde_with_qr(built.xml, credentials, csc_id="0001", csc=CSC, environment="test")
    assert schema_errors(etree.fromstring(final), SCHEMA_RDE) == []
    result = xmlsec1_verify(xmlsec1, final, tmp_path, ca=test_ca)
    assert result.returncode == 0, result.stderr
    report = verify_rde(final, trusted_roots=[test_ca.certificate])
    assert report.ok, report.failures
    assert report.cdc == built.cdc
    assert verify_qr(final, CSC)
    tampered = final.replace(f'Id="{built.cdc}"><dDVId>'.encode(), f'Id="{built.cdc}"><dDVId> '.encode())
    assert tampered != final
    assert xmlsec1_verify(xmlsec1, tampered, tmp_path).returncode != 0
    assert not verify_rde(tampered).ok
