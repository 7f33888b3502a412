"""Engine output through the real signer and QR, the official XSD and the lenient reader.

MT v150 §7 (Schema XML 1): the signed rDE with the real ds:Signature and gCamFuFD must validate
against siRecepDE_v150.xsd; the reader (another area) must read back what the writer wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sifenflow_common.documents.engine import build_document
from sifenflow_common.sifen.certificates import SigningCredentials, credentials_from
from sifenflow_common.sifen.qr import sign_rde_with_qr, verify_qr
from sifenflow_common.sifen.test_ca import ensure_test_ca, issue_test_certificate
from sifenflow_common.sifen.xml_read import read_rde
from sifenflow_common.sifen.xml_write import to_element
from sifenflow_common.sifen.xsd import SCHEMA_RDE, schema_errors
from tests.fixtures.documents import FIXTURE_NAMES, load_fixture

pytestmark = pytest.mark.unit

CSC = "ABCD0000000000000000000000000000"  # generic test CSC (protocol §5.4)


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> SigningCredentials:
    ca = ensure_test_ca(Path(tmp_path_factory.mktemp("engine-test-ca")))
    key, cert = issue_test_certificate(ca, ruc="80069563-1", name="Comercial Ejemplo S.A.")
    return credentials_from(key, cert)


@pytest.mark.parametrize("name", [n for n in FIXTURE_NAMES if n != "recibo"])
def test_signed_document_is_schema_valid_and_reads_back(name: str, credentials: SigningCredentials) -> None:
    fx = load_fixture(name)
    built = build_document(fx["params"], fx["data"])
    signed = sign_rde_with_qr(
        built.xml, credentials, csc_id="0001", csc=CSC, environment="test", signed_at=datetime.now(UTC)
    )
    assert schema_errors(to_element(signed), SCHEMA_RDE) == []
    assert verify_qr(signed, CSC)
    view = read_rde(signed)
    assert view.cdc == built.cdc
    assert view.gTimb.dNumDoc == built.numero_documento
    if view.gTotSub is not None:
        assert view.gTotSub.dTotGralOpe == built.totals["dTotGralOpe"]
        if view.gTotSub.dTotIVA is not None:  # absent for AFE (reduced gTotSub)
            assert view.gTotSub.dTotIVA == built.totals["dTotIVA"]
    assert len(view.gDtipDE.gCamItem) == len(fx["data"]["items"])
