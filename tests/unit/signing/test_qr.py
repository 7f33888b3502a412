"""KuDE QR (gCamFuFD/dCarQR), MT v150 §13.8, with the Manual's and the official examples' vectors."""

from __future__ import annotations

import pytest
from lxml import etree

from sifenflow_common.sifen.certificates import SigningCredentials
from sifenflow_common.sifen.namespaces import SIFEN_NS
from sifenflow_common.sifen.qr import (
    QrFields,
    add_qr,
    qr_data,
    qr_fields,
    qr_hash,
    qr_url,
    qr_url_in,
    sign_rde_with_qr,
    verify_qr,
)
from sifenflow_common.sifen.signature import parse_xml, sign_rde, verify_rde
from tests.conftest import shared_examples_dir
from tests.fixtures.signing.unsigned_rde import unsigned_rde
from tests.unit.signing.conftest import CSC, SIGNED_AT

pytestmark = pytest.mark.unit
S = "{" + SIFEN_NS + "}"

# MT v150 §13.8.4 (protocol T10): the Manual's worked example.
T10_DATA = (
    "nVersion=150&Id=01444444017001001001452822017012515873260988"
    "&dFeEmiDE=323031372d30312d32355430393a33353a3137&dRucRec=88899990&dTotGralOpe=300000"
    "&dTotIVA=27272&cItems=2&DigestValue=797a4759685578312f5859597a6b7357422b6650523351633530633d&IdCSC=0001"
)


def test_manual_vector_t10() -> None:
    assert qr_hash(T10_DATA, CSC) == "97ddbb3c1e7d65af03a70ffe21f2b34846ab1c89e0566c35222086766b7374ed"


def test_manual_vector_t10_rebuilt_from_fields_t11_hex_encodings() -> None:
    # MT §13.8.3: dFeEmiDE and DigestValue go as hex of their text (T11).
    fields = QrFields(
        cdc="01444444017001001001452822017012515873260988",
        fe_emi_de="2017-01-25T09:35:17",
        receptor_param="dRucRec",
        receptor_value="88899990",
        tot_gral_ope="300000",
        tot_iva="27272",
        items=2,
        digest_value="yzGYhUx1/XYYzksWB+fPR3Qc50c=",
    )
    assert qr_data(fields, "1") == T10_DATA
    url = qr_url(fields, csc_id="0001", csc=CSC, environment="test")
    assert url == (
        "https://ekuatia.set.gov.py/consultas-test/qr?"
        + T10_DATA
        + "&cHashQR=97ddbb3c1e7d65af03a70ffe21f2b34846ab1c89e0566c35222086766b7374ed"
    )
    assert qr_url(fields, csc_id="0001", csc=CSC, environment="produccion").startswith(
        "https://ekuatia.set.gov.py/consultas/qr?nVersion=150&"
    )
    assert qr_url(fields, csc_id="0001", csc=CSC, environment="simulado").startswith(
        "https://ekuatia.set.gov.py/consultas-test/qr?"
    )


def _example_qr(name: str) -> tuple[etree._Element, str]:
    root = parse_xml((shared_examples_dir() / name).read_bytes())
    rde = root.find(f".//{S}rDE")
    url = rde.findtext(f"{S}gCamFuFD/{S}dCarQR").strip()
    return rde, url


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("NC_v150_20190910.xml", "bfeb83a236fda8bd654f547a1e28bc218912d3f47c62962d1f6b6d5e49053590"),  # T12
        ("ND_v150_20190910.xml", "54d9722e988602011916b949a6d92f270124d6e14c5b16294f485828f6765df7"),  # T13
    ],
)
def test_official_nc_nd_example_vectors(name: str, expected: str) -> None:
    _, url = _example_qr(name)
    data, _, given = url.split("?", 1)[1].rpartition("&cHashQR=")
    assert given == expected
    assert qr_hash(data, CSC) == expected


def test_fields_read_from_the_nc_example_rebuild_its_qr_data() -> None:
    # The NC example's own DE fields and DigestValue reproduce its dCarQR query exactly.
    rde, url = _example_qr("NC_v150_20190910.xml")
    data = url.split("?", 1)[1].rpartition("&cHashQR=")[0]
    assert qr_data(qr_fields(etree.tostring(rde)), "0001") == data


def test_add_qr_after_signature(signed_fe_qr: bytes) -> None:
    root = etree.fromstring(signed_fe_qr)
    assert [c.tag.rpartition("}")[2] for c in root] == ["dVerFor", "DE", "Signature", "gCamFuFD"]
    car = root.findtext(f"{S}gCamFuFD/{S}dCarQR")
    assert car.startswith("https://ekuatia.set.gov.py/consultas-test/qr?nVersion=150&Id=")
    assert "&amp;" in signed_fe_qr.decode() and "&amp;amp;" not in signed_fe_qr.decode()
    assert CSC not in car
    assert "&dRucRec=80002201&dTotGralOpe=605000&dTotIVA=55000&cItems=10&" in car
    assert verify_qr(signed_fe_qr, CSC)
    assert not verify_qr(signed_fe_qr, "EFGH0000000000000000000000000000")
    assert verify_rde(signed_fe_qr).ok


def test_qr_url_in_reads_dcarqr_without_parsing(signed_fe_qr: bytes) -> None:
    # The signer reports dCarQR (MT v150 J002) from the signed bytes: it must equal the parsed,
    # unescaped text and the URL recomputed from the document's fields.
    car = etree.fromstring(signed_fe_qr).findtext(f"{S}gCamFuFD/{S}dCarQR")
    assert qr_url_in(signed_fe_qr) == car
    assert car == qr_url(qr_fields(signed_fe_qr), csc_id="0001", csc=CSC, environment="test")
    assert qr_url_in(b"<rDE><DE/></rDE>") is None


def test_verify_qr_detects_tampered_qr(signed_fe_qr: bytes) -> None:
    assert not verify_qr(signed_fe_qr.replace(b"cItems=10", b"cItems=11"), CSC)
    assert not verify_qr(signed_fe_qr.replace(b"dTotIVA=55000", b"dTotIVA=55001"), CSC)


def test_one_pass_sign_with_qr_equals_sign_then_add_qr(credentials: SigningCredentials) -> None:
    unsigned = unsigned_rde()
    two_steps = add_qr(
        sign_rde(unsigned, credentials, signed_at=SIGNED_AT), csc_id="0001", csc=CSC, environment="test"
    )
    one_pass = sign_rde_with_qr(
        unsigned, credentials, csc_id="0001", csc=CSC, environment="test", signed_at=SIGNED_AT
    )
    assert one_pass == two_steps


def test_non_contributor_receptor_uses_dnumidrec(credentials: SigningCredentials) -> None:
    # MT §13.8.4: dNumIDRec (D210) when iNatRec=2; innominado → 0.
    unsigned = (
        unsigned_rde()
        .replace(b"<iNatRec>1</iNatRec><iTiOpe>1</iTiOpe>", b"<iNatRec>2</iNatRec><iTiOpe>2</iTiOpe>")
        .replace(
            b"<iTiContRec>2</iTiContRec><dRucRec>80002201</dRucRec><dDVRec>7</dDVRec>",
            "<iTipIDRec>1</iTipIDRec><dDTipIDRec>Cédula paraguaya</dDTipIDRec>"
            "<dNumIDRec>1234567</dNumIDRec>".encode(),
        )
    )
    final = sign_rde_with_qr(
        unsigned, credentials, csc_id="0001", csc=CSC, environment="test", signed_at=SIGNED_AT
    )
    assert "&dNumIDRec=1234567&" in qr_fields_url(final)


def test_qr_before_signature_is_refused(credentials: SigningCredentials) -> None:
    from sifenflow_common.sifen.qr import QrError

    with pytest.raises(QrError) as info:
        add_qr(unsigned_rde(), csc_id="0001", csc=CSC, environment="test")
    assert info.value.code == "DE_SIN_FIRMA"


def qr_fields_url(xml: bytes) -> str:
    return etree.fromstring(xml).findtext(f"{S}gCamFuFD/{S}dCarQR")


@pytest.fixture(scope="module")
def signed_fe_qr(credentials: SigningCredentials) -> bytes:
    return add_qr(
        sign_rde(unsigned_rde(), credentials, signed_at=SIGNED_AT), csc_id="0001", csc=CSC, environment="test"
    )


def test_one_pass_sign_with_qr_compacts_pretty_input(credentials: SigningCredentials) -> None:
    # SIFEN 0105: formatting whitespace between tags is removed before signing, in both paths.
    compact = unsigned_rde()
    pretty = etree.tostring(etree.fromstring(compact), pretty_print=True)
    args = {"csc_id": "0001", "csc": CSC, "environment": "test", "signed_at": SIGNED_AT}
    assert sign_rde_with_qr(pretty, credentials, **args) == sign_rde_with_qr(compact, credentials, **args)


def test_prepared_gcamfufd_with_dinfadic_is_kept_and_gets_the_qr(
    credentials: SigningCredentials,
    xmlsec1,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    # MT v150 J001-J003: gCamFuFD holds dCarQR then the optional dInfAdic; Signature stays before it.
    from sifenflow_common.sifen.xsd import SCHEMA_RDE, schema_errors
    from tests.unit.signing.conftest import xmlsec1_verify

    unsigned = unsigned_rde().replace(
        b"</DE></rDE>", b"</DE><gCamFuFD><dInfAdic>Gracias por su compra</dInfAdic></gCamFuFD></rDE>"
    )
    args = {"csc_id": "0001", "csc": CSC, "environment": "test", "signed_at": SIGNED_AT}
    one_pass = sign_rde_with_qr(unsigned, credentials, **args)
    two_steps = add_qr(
        sign_rde(unsigned, credentials, signed_at=SIGNED_AT), csc_id="0001", csc=CSC, environment="test"
    )
    assert one_pass == two_steps
    root = etree.fromstring(one_pass)
    assert [c.tag.rpartition("}")[2] for c in root] == ["dVerFor", "DE", "Signature", "gCamFuFD"]
    assert [c.tag.rpartition("}")[2] for c in root[3]] == ["dCarQR", "dInfAdic"]
    assert schema_errors(root, SCHEMA_RDE) == []
    assert verify_rde(one_pass).ok and verify_qr(one_pass, CSC)
    assert xmlsec1_verify(xmlsec1, one_pass, tmp_path).returncode == 0
