"""Recibo digital (tipo 55): our schema docs/recibo_v1.xsd, CDC starting with 55, recibo rules."""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817

import pytest
from lxml import etree

from sifenflow_common.documents.engine import build_document, validate_document
from sifenflow_common.documents.recibo import RECIBO_NS, recibo_schema
from sifenflow_common.errors import DocumentInvalid
from sifenflow_common.sifen.cdc import is_valid_cdc
from tests.fixtures.documents import load_fixture

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


def test_total_must_match_the_associated_documents() -> None:
    fx = load_fixture("recibo")
    fx["data"]["total"] = 149999
    found = {(i.code, i.path) for i in validate_document(fx["params"], fx["data"])}
    assert ("TOTAL_NO_COINCIDE", "data.total") in found


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
