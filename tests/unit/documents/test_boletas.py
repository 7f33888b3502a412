"""Boleta de venta electrónica (iTiDE 9) and boleta resimple electrónica (iTiDE 10): both are in
``tiTiDE`` / ``tdDesTiDE`` of the current DE_Types_v150.xsd. No published Nota Técnica describing
them was found; the rules below are the MT v150 rules read literally for a type other than 1, 4, 5,
6, 7 plus what a sale needs (docs/document-engine.md, "Boletas", marks each inferred rule UNCERTAIN)."""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817

import pytest
from lxml import etree

from sifenflow_common.documents.engine import build_document, validate_document
from sifenflow_common.sifen.cdc import is_valid_cdc
from sifenflow_common.sifen.xsd import SCHEMA_RDE, schema_errors
from tests.fixtures.documents import load_fixture
from tests.unit.documents.conftest import with_placeholder_signature

pytestmark = pytest.mark.unit
S = "{http://ekuatia.set.gov.py/sifen/xsd}"
BOLETAS = [
    ("boleta_venta", 9, "Boleta de venta electrónica"),
    ("boleta_resimple", 10, "Boleta resimple electrónica"),
]


@pytest.mark.parametrize(("name", "tipo", "descripcion"), BOLETAS)
def test_boleta_builds_and_validates_against_the_official_schema(
    name: str, tipo: int, descripcion: str
) -> None:
    fx = load_fixture(name)
    built = build_document(fx["params"], fx["data"])
    root = etree.fromstring(built.xml)
    assert (
        schema_errors(with_placeholder_signature(built.xml), SCHEMA_RDE) == []
    )  # signed: test_engine_documents_signed
    assert built.tipo_documento == tipo and built.cdc.startswith(f"{tipo:02d}") and is_valid_cdc(built.cdc)
    de = root.find(f"{S}DE")
    assert de.findtext(f"{S}gTimb/{S}iTiDE") == str(tipo)
    assert de.findtext(f"{S}gTimb/{S}dDesTiDE") == descripcion
    dtip = de.find(f"{S}gDtipDE")
    assert dtip.find(f"{S}gCamFE") is None  # E010 belongs to the factura (C002 = 1)
    assert dtip.find(f"{S}gCamCond") is not None  # a sale: contado / crédito (E600)
    assert de.findtext(f"{S}gDatGralOpe/{S}gOpeCom/{S}iTipTra") == "1"  # D011, as for FE / AFE
    for item in dtip.iterfind(f"{S}gCamItem"):  # E730: D013 = 1 and C002 not 4 or 7
        assert item.find(f"{S}gCamIVA") is not None


def test_boleta_de_venta_totals_and_iva() -> None:
    fx = load_fixture("boleta_venta")
    built = build_document(fx["params"], fx["data"])
    assert built.totals["dTotGralOpe"] == D(32500)
    assert (built.totals["dIVA10"], built.totals["dIVA5"]) == (D(2000), D(500))


@pytest.mark.parametrize(("name", "tipo", "descripcion"), BOLETAS)
def test_boleta_without_condicion_names_the_group(name: str, tipo: int, descripcion: str) -> None:
    fx = load_fixture(name)
    fx["data"].pop("condicion")
    found = {(i.code, i.path) for i in validate_document(fx["params"], fx["data"])}
    assert ("GRUPO_REQUERIDO", "data.condicion") in found


@pytest.mark.parametrize(("name", "tipo", "descripcion"), BOLETAS)
def test_factura_group_sent_with_a_boleta_is_not_written(name: str, tipo: int, descripcion: str) -> None:
    fx = load_fixture(name)
    fx["data"]["factura"] = {"presencia": 1}
    built = build_document(fx["params"], fx["data"])
    assert b"gCamFE" not in built.xml


def test_unsupported_type_lists_the_boletas() -> None:
    fx = load_fixture("boleta_venta")
    fx["data"]["tipoDocumento"] = 8  # comprobante de retención: commented out in the XSD
    [issue] = validate_document(fx["params"], fx["data"])
    assert issue.code == "TIPO_DOCUMENTO_INVALIDO" and "9, 10" in issue.message
