"""Recibo digital (tipo 55): our schema docs/recibo_v1.xsd, CDC starting with 55, recibo rules."""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817

import pytest
from lxml import etree

from sifenflow_common.documents.engine import build_document, validate_document
from sifenflow_common.documents.recibo import RECIBO_NS, recibo_schema
from sifenflow_common.errors import DocumentInvalid
from sifenflow_common.facturasend.issues import WARNING_CODES
from sifenflow_common.facturasend.recibo_tolerance import OTRO_DOCUMENTO
from sifenflow_common.facturasend.tolerance import tolerate
from sifenflow_common.sifen.cdc import is_valid_cdc
from sifenflow_common.sifen.namespaces import SIFEN_NS
from tests.fixtures.documents import load_fixture
from tests.fixtures.recibo_seed import seed_recibo

pytestmark = pytest.mark.unit


def test_recibo_validates_against_our_schema() -> None:
    fx = load_fixture("recibo")
    built = build_document(fx["params"], fx["data"])
    root = etree.fromstring(built.xml)
    schema = recibo_schema()
    assert schema.validate(root), schema.error_log
    assert root.tag == f"{{{RECIBO_NS}}}rRec"
    assert built.cdc.startswith("55") and is_valid_cdc(built.cdc)
    assert built.tipo_documento == 55 and built.numero == "001-001-0000001"
    assert built.totals["dTotGralOpe"] == D(150000)


def test_schema_rejects_a_tampered_recibo() -> None:
    fx = load_fixture("recibo")
    xml = build_document(fx["params"], fx["data"]).xml.replace(b"<rec:iTiDE>55<", b"<rec:iTiDE>1<")
    assert not recibo_schema().validate(etree.fromstring(xml))


def test_engine_recalculates_a_total_other_than_its_documents_with_a_warning() -> None:
    """The engine applies the tolerance policy too (CLI path): the total becomes the documents' sum."""
    fx = load_fixture("recibo")
    fx["data"]["total"] = 149999
    assert validate_document(fx["params"], fx["data"]) == []
    built = build_document(fx["params"], fx["data"])
    assert built.totals["dTotGralOpe"] == D(150000)
    assert [(w.code, w.path) for w in built.warnings] == [("TOTAL_RECALCULADO", "data.total")]


def test_without_documents_total_and_concepto_are_required() -> None:
    fx = load_fixture("recibo")
    for key in ("documentoAsociado", "total", "concepto"):
        fx["data"].pop(key)
    with pytest.raises(DocumentInvalid) as info:
        build_document(fx["params"], fx["data"])
    found = {(i.code, i.path) for i in info.value.issues}
    assert {("CAMPO_REQUERIDO", "data.total"), ("CAMPO_REQUERIDO", "data.concepto")} <= found


def test_recibo_without_documents_builds() -> None:
    fx = load_fixture("recibo")
    fx["data"].pop("documentoAsociado")
    fx["data"]["total"] = 150000
    built = build_document(fx["params"], fx["data"])
    assert recibo_schema().validate(etree.fromstring(built.xml))


# --- FacturaSend's documented example (facturasend-api.md §2.4, seed-examples/recibo-create.json) ---


def _seed_data(**overrides: object) -> tuple[dict[str, object], list[tuple[str, str]]]:
    """The example as the gateway hands it to the engine: tolerance policy applied, as a recibo."""
    body = seed_recibo(tipoDocumento=55, fecha="2024-10-26T15:59:43", **overrides)
    tolerated = tolerate(body)
    return tolerated.data, [(w.code, w.path) for w in tolerated.warnings]


def test_documented_example_builds_with_the_total_of_its_documents_and_both_retentions() -> None:
    fx = load_fixture("recibo")
    data, warnings = _seed_data(punto="001")
    built = build_document(fx["params"], data)
    root = etree.fromstring(built.xml)
    assert recibo_schema().validate(root), recibo_schema().error_log
    assert built.totals["dTotGralOpe"] == D(371000) == D(185000) + D(186000)
    ns = {"rec": RECIBO_NS}
    assert root.findtext("rec:Rec/rec:gCamRec/rec:dTotRec", namespaces=ns) == "371000"
    docs = root.findall("rec:Rec/rec:gDocRec", namespaces=ns)
    assert [d.findtext("rec:dMonApl", namespaces=ns) for d in docs] == ["185000", "186000"]
    assert docs[0].findtext("rec:dMonRetIVA", namespaces=ns) == "10000"
    assert docs[0].findtext("rec:dMonRetRenta", namespaces=ns) == "5000"
    assert docs[1].find("rec:dMonRetIVA", namespaces=ns) is None
    # the corrections are reported, none silently
    assert warnings == [
        ("TOTAL_RECALCULADO", "data.total"),
        ("DESCRIPCION_POR_DEFECTO", "data.usuario.documentoTipoDescripcion"),
        ("PAGO_DISTINTO_DEL_TOTAL", "data.condicion.entregas"),
    ]
    assert {code for code, _ in warnings} <= set(WARNING_CODES)
    resp = root.find(f"rec:Rec/rec:gDatGralOpe/rec:gEmis/{{{SIFEN_NS}}}gRespDE", namespaces=ns)
    assert resp is not None and resp.findtext(f"{{{SIFEN_NS}}}dDTipIDRespDE") == OTRO_DOCUMENTO


def test_four_digit_punto_is_the_one_refusal_and_names_the_field() -> None:
    fx = load_fixture("recibo")
    data, _ = _seed_data()  # punto 1017: the CDC holds three digits
    with pytest.raises(DocumentInvalid) as info:
        build_document(fx["params"], data)
    assert [i.path for i in info.value.issues] == ["data.punto"]


def test_schema_refuses_a_negative_retention() -> None:
    fx = load_fixture("recibo")
    data, _ = _seed_data(punto="001")
    xml = build_document(fx["params"], data).xml.replace(b">10000</rec:dMonRetIVA>", b">-1</rec:dMonRetIVA>")
    assert not recibo_schema().validate(etree.fromstring(xml))


def test_payments_equal_to_the_total_and_a_matching_total_give_no_warning() -> None:
    body = seed_recibo(tipoDocumento=55, punto="001", total=371000)
    body["usuario"]["documentoTipo"] = 1
    body["condicion"]["entregas"][0]["monto"] = 371000
    out = tolerate(body)
    assert out.warnings == [] and out.data["total"] == 371000
    again = tolerate(out.data)
    assert again.data == out.data and again.warnings == []
