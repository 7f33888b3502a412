"""Public API of the engine: BuiltDocument fields, CDC/dCodSeg handling, aliases, formats."""

from __future__ import annotations

import copy
import re
from datetime import datetime
from decimal import Decimal as D  # noqa: N817

import pytest

from sifenflow_common.documents.engine import build_document, validate_document
from sifenflow_common.documents.mapping import TEST_ENV_NAME
from sifenflow_common.sifen.cdc import split_cdc
from sifenflow_common.sifen.namespaces import SIFEN_NS
from sifenflow_common.sifen.xml_write import to_element
from tests.fixtures.documents import load_fixture
from tests.unit.documents.conftest import FIXED_NOW

pytestmark = pytest.mark.unit
NS = {"s": SIFEN_NS}


def _text(xml: bytes, xpath: str) -> list[str]:
    return [str(x) for x in to_element(xml).xpath(xpath + "/text()", namespaces=NS)]


def test_built_document_fields() -> None:
    fx = load_fixture("fe_contado")
    built = build_document(fx["params"], fx["data"], now=FIXED_NOW)
    assert built.tipo_documento == 1
    assert built.numero == "001-001-0000001"
    assert (built.establecimiento, built.punto, built.numero_documento, built.timbrado) == (
        "001",
        "001",
        "0000001",
        "12345678",
    )
    assert built.fecha_emision == datetime(2024, 6, 15, 10, 30)
    assert built.receptor_email == "compras@cliente.com.py"  # only the first of the list (MT D216)
    assert built.moneda == "PYG"
    # 100000 at 10 % + 50000 at 5 %: IVA 100000/11 = 9091, 50000/21 = 2381
    assert built.totals["dTotGralOpe"] == D(150000)
    assert (built.totals["dIVA10"], built.totals["dIVA5"], built.totals["dTotIVA"]) == (
        D(9091),
        D(2381),
        D(11472),
    )
    root = to_element(built.xml)
    assert root.tag == f"{{{SIFEN_NS}}}rDE"
    assert (
        root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation")
        == f"{SIFEN_NS} siRecepDE_v150.xsd"
    )
    assert _text(built.xml, "//s:DE/s:dFecFirma") == ["2024-06-15T10:31:00"]  # build time, no fraction/offset
    assert _text(built.xml, "//s:dFeEmiDE") == ["2024-06-15T10:30:00"]
    assert to_element(built.xml).xpath("//s:DE/@Id", namespaces=NS) == [built.cdc]
    assert _text(built.xml, "//s:dDVId") == [built.cdc[-1]]


def test_test_environment_uses_the_mandatory_emisor_name() -> None:
    # MT D105: in the test environment dNomEmi is the fixed text
    fx = load_fixture("fe_contado")
    assert _text(build_document(fx["params"], fx["data"]).xml, "//s:dNomEmi") == [TEST_ENV_NAME]
    prod = build_document(fx["params"], fx["data"], environment="produccion").xml
    assert _text(prod, "//s:dNomEmi") == ["Comercial Ejemplo S.A."]


def test_codigo_seguridad_random_when_absent_kept_when_given() -> None:
    # MT §10.3: random when not given; a given one (e.g. to reuse a rejected DE's CDC) is kept
    fx = load_fixture("fe_contado")
    codes = {split_cdc(build_document(fx["params"], fx["data"]).cdc).codigo_seguridad for _ in range(20)}
    assert len(codes) == 20
    fx["data"]["codigoSeguridadAleatorio"] = "123456789"
    built = build_document(fx["params"], fx["data"])
    assert split_cdc(built.cdc).codigo_seguridad == "123456789"
    assert _text(built.xml, "//s:dCodSeg") == ["123456789"]


def test_given_cdc_is_reused_when_it_matches() -> None:
    fx = load_fixture("fe_contado")
    first = build_document(fx["params"], fx["data"])
    fx["data"]["cdc"] = first.cdc
    assert build_document(fx["params"], fx["data"]).cdc == first.cdc


def test_number_formats_are_padded() -> None:
    # C005/C006 three digits, C007 seven digits
    fx = load_fixture("fe_contado")
    fx["data"].update({"establecimiento": 1, "punto": 1, "numero": 42})
    built = build_document(fx["params"], fx["data"])
    assert built.numero == "001-001-0000042"
    assert _text(built.xml, "//s:dNumDoc") == ["0000042"]


def test_descriptions_filled_from_codes() -> None:
    fx = load_fixture("fe_contado")
    xml = build_document(fx["params"], fx["data"]).xml
    assert _text(xml, "//s:dDesTiDE") == ["Factura electrónica"]
    assert _text(xml, "//s:dDesMoneOpe") == ["Guarani"]
    assert _text(xml, "//s:gDatRec/s:dDesCiuRec") == ["ASUNCION (DISTRITO)"]
    assert _text(xml, "//s:dDesUniMed") == ["UNI", "UNI"]
    assert _text(xml, "//s:dDesAfecIVA") == ["Gravado IVA", "Gravado IVA"]
    assert _text(xml, "//s:dDesIndPres") == ["Operación presencial"]


def test_no_empty_elements_and_compact_output() -> None:
    for name in ("fe_contado", "nre_transporte", "afe_constancia", "fe_usd"):
        fx = load_fixture(name)
        xml = build_document(fx["params"], fx["data"]).xml
        assert re.search(rb"<(\w+)></\1>|<\w+/>", xml) is None
        assert b"\n" not in xml and b"> <" not in xml


def test_aliases_are_equivalent() -> None:
    fx = load_fixture("nre_transporte")
    alias = copy.deepcopy(fx)
    alias["data"]["detalleTransporte"] = alias["data"].pop("transporte")
    a = build_document(fx["params"], fx["data"], now=FIXED_NOW)
    b = build_document(alias["params"], alias["data"], now=FIXED_NOW)
    strip = re.compile(rb'Id="\d+"|<dDVId>\d</dDVId>|<dCodSeg>\d+</dCodSeg>')
    assert strip.sub(b"", a.xml) == strip.sub(b"", b.xml)


def test_iva_base_and_iva_proporcion_are_the_same_field() -> None:
    fx = load_fixture("fe_gravado_parcial")
    renamed = copy.deepcopy(fx)
    for item in renamed["data"]["items"]:
        item["ivaProporcion"] = item.pop("ivaBase")
    assert (
        build_document(fx["params"], fx["data"]).totals
        == build_document(renamed["params"], renamed["data"]).totals
    )


def test_autofactura_transaccion_alias_and_dncp_inside_factura() -> None:
    fx = load_fixture("afe_constancia")
    fx["data"]["autoFactura"]["transaccion"] = fx["data"]["autoFactura"].pop("ubicacion")
    assert validate_document(fx["params"], fx["data"]) == []
    b2g = load_fixture("fe_b2g_dncp")
    b2g["data"]["factura"]["dncp"] = b2g["data"].pop("dncp")
    built = build_document(b2g["params"], b2g["data"])
    assert _text(built.xml, "//s:gCompPub/s:dEntCont") == ["12345"]
    assert _text(built.xml, "//s:gCompPub/s:dSecCont") == ["1234567"]


def test_snake_case_keys_are_accepted() -> None:
    fx = load_fixture("fe_snake_case")
    built = build_document(fx["params"], fx["data"])
    assert built.totals["dTotGralOpe"] == D(150000)


def test_nre_has_no_totals_and_no_prices() -> None:
    fx = load_fixture("nre_transporte")
    xml = build_document(fx["params"], fx["data"]).xml
    root = to_element(xml)
    assert root.find(".//s:gTotSub", NS) is None and root.find(".//s:gValorItem", NS) is None
    assert _text(xml, "//s:gCamTrans/s:dDomFisc") == ["Ruta 1 km 20"]  # required since the current XSD


def test_innominado_fields() -> None:
    # MT D208-D211: iTipIDRec 5, dNumIDRec 0, dNomRec "Sin Nombre"
    fx = load_fixture("fe_innominado")
    xml = build_document(fx["params"], fx["data"]).xml
    assert _text(xml, "//s:iTipIDRec") == ["5"]
    assert _text(xml, "//s:dDTipIDRec") == ["Innominado"]
    assert _text(xml, "//s:dNumIDRec") == ["0"]
    assert _text(xml, "//s:dNomRec") == ["Sin Nombre"]


def test_foreign_currency_fields() -> None:
    fx = load_fixture("fe_usd")
    built = build_document(fx["params"], fx["data"])
    assert _text(built.xml, "//s:dCondTiCam") == ["1"] and _text(built.xml, "//s:dTiCam") == ["7300.5"]
    assert built.totals["dTotalGs"] == D(2274106)  # F023 = 311.50 × 7300.50
    assert built.moneda == "USD"


def test_gravado_parcial_emits_dbasexe() -> None:
    # NT13: dBasExe is the last child of gCamIVA for every item
    fx = load_fixture("fe_gravado_parcial")
    xml = build_document(fx["params"], fx["data"]).xml
    assert _text(xml, "//s:gCamIVA/s:dBasExe") == ["74757", "10244", "0", "0"]


def test_line_breaks_are_written_as_spaces() -> None:
    # XSD text types are ".+" / ".*[^\\s].*" and "." excludes line breaks
    fx = load_fixture("fe_contado")
    fx["data"]["observacion"] = "Primera línea\nSegunda & última"
    xml = build_document(fx["params"], fx["data"]).xml
    assert _text(xml, "//s:dInfoEmi") == ["Primera línea Segunda & última"]


def test_nested_snake_case_and_alias_keys() -> None:
    fx = load_fixture("nre_transporte")
    t = fx["data"].pop("transporte")
    t["pais_destino"] = "ARG"
    t["paisDestinoDescripcion"] = "Argentina"
    t["tipo_responsable"] = t.pop("tipoResponsable")
    t["inicio_estimado_translado"] = t.pop("inicioEstimadoTranslado")
    fx["data"]["detalle_transporte"] = t
    xml = build_document(fx["params"], fx["data"]).xml
    assert _text(xml, "//s:cPaisDest") == ["ARG"] and _text(xml, "//s:dDesPaisDest") == ["Argentina"]
    assert _text(xml, "//s:dIniTras") == ["2024-06-15"]
