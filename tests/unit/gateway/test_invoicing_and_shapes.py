"""/invoicing mapping (groups carried, city by name, remisión requirements) and response shapes
(rde as xml2js JSON, Paraguay dates), without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.adapters.engine import EngineAdapter
from sifenflow_gateway.invoicing_geo import resolve_city
from sifenflow_gateway.invoicing_mapping import to_facturasend
from sifenflow_gateway.sifen_json import xml_to_json
from sifenflow_gateway.times import py_time
from tests.unit.gateway.fakes import FakeDirectory
from tests.unit.gateway.invoicing_samples import REMISION_TRANSPORT
from tests.unit.gateway.samples import PARAMS, tenant_body

pytestmark = pytest.mark.unit

DNCP = {"modalidad": "LP", "entidad": 12345, "año": 26, "secuencia": 1234567, "fecha": "2026-03-01"}
ITEM_DNCP = {"codigoNivelGeneral": "12345678", "codigoNivelEspecifico": "123"}


async def _tenant() -> Tenant:
    data, _ = parse_tenant_input(tenant_body("acme"))
    assert data is not None
    return await FakeDirectory().create_tenant(data)


async def test_b2g_invoice_carries_dncp_and_item_codes() -> None:
    body = {
        "cliente": {"ruc": "80009735-1", "razonSocial": "ANDE", "tipoContribuyente": 2, "tipoOperacion": 3},
        "items": [
            {"codigo": "P", "descripcion": "Silla", "cantidad": 1, "precioUnitario": 150000, "ivaTipo": 10,
             "dncp": ITEM_DNCP},
        ],
        "dncp": DNCP,
        "complementarios": {"ordenCompra": "OC-1"},
        "sectorAdicional": {"numeroContrato": "C-9"},
    }  # fmt: skip
    data, issues = to_facturasend("invoice", body, await _tenant())
    assert issues == []
    assert data["dncp"] == DNCP and data["items"][0]["dncp"] == ITEM_DNCP
    assert data["complementarios"] == {"ordenCompra": "OC-1"}
    assert data["sectorAdicional"] == {"numeroContrato": "C-9"}
    assert EngineAdapter().validate(PARAMS, dict(data, numero=1, fecha="2026-11-20T10:00:00")) == []


@pytest.mark.parametrize(
    ("given", "code"),
    [("Asunción", 1), ("ASUNCION (DISTRITO)", 1), ("encarnacion", 2226), (2226, 2226), ("1", 1)],
)
def test_city_by_name_or_code_fills_distrito_and_departamento(given: object, code: int) -> None:
    issues: list[ValidationIssue] = []
    out = resolve_city({"direccion": "x", "ciudad": given}, "cliente", issues)
    assert issues == []
    assert out["ciudad"] == code
    assert (out["distrito"], out["departamento"]) == ((1, 1) if code == 1 else (87, 8))


def test_ambiguous_and_unknown_cities_list_candidates_with_the_path() -> None:
    issues: list[ValidationIssue] = []
    resolve_city({"ciudad": "San Lorenzo"}, "cliente", issues)
    [ambiguous] = issues
    assert (ambiguous.code, ambiguous.path) == ("CIUDAD_AMBIGUA", "cliente.ciudad")
    assert "6010 SAN LORENZO" in ambiguous.message and "142 SAN LORENZO" in ambiguous.message
    narrowed: list[ValidationIssue] = []
    out = resolve_city({"ciudad": "San Lorenzo", "departamento": "Central"}, "cliente", narrowed)
    assert narrowed == [] and out["ciudad"] == 6010
    unknown: list[ValidationIssue] = []
    resolve_city({"ciudad": "Encarnasion del Norte"}, "transporte.entrega", unknown)
    assert [(i.code, i.path) for i in unknown] == [("CIUDAD_INVALIDA", "transporte.entrega.ciudad")]


async def test_remision_without_transport_names_every_missing_field_at_once() -> None:
    body = {
        "cliente": {"ruc": "80009735-1", "razonSocial": "ANDE"},
        "items": [{"codigo": "PROD-001", "descripcion": "Silla", "cantidad": 5, "unidadMedida": 77}],
        "observacion": "Traslado a sucursal",
    }
    _, issues = to_facturasend("remision", body, await _tenant())
    paths = {i.path for i in issues}
    assert {i.code for i in issues} == {"CAMPO_REQUERIDO"}
    assert paths >= {
        "cliente.direccion",
        "cliente.ciudad",
        "remision.kms",
        "transporte.tipo",
        "transporte.modalidad",
        "transporte.salida.ciudad",
        "transporte.entrega.direccion",
        "transporte.vehiculo.marca",
        "transporte.transportista.nombre",
        "transporte.transportista.chofer.nombre",
    }
    data, issues = to_facturasend("remision", dict(body, **REMISION_TRANSPORT), await _tenant())
    assert issues == []
    assert data["transporte"]["entrega"]["ciudad"] == 2226
    assert EngineAdapter().validate(PARAMS, dict(data, numero=1, fecha="2026-11-20T10:00:00")) == []


async def test_mapping_warns_of_what_it_ignores() -> None:
    warnings: list[ValidationIssue] = []
    body = {
        "cliente": {
            "ruc": "80009735-1",
            "razonSocial": "ANDE",
            "documentoTipo": 1,
            "direccion": "Av. España",
            "apodo": "x",
        },
        "items": [{"codigo": "A", "descripcion": "X", "cantidad": 1, "precioUnitario": 10, "ivaTipo": 10}],
        "desconocido": 1,
    }
    data, issues = to_facturasend("invoice", body, await _tenant(), warnings)
    assert issues == [] and "direccion" not in data["cliente"]
    assert {(w.code, w.path) for w in warnings} == {
        ("CAMPO_IGNORADO", "desconocido"),
        ("CAMPO_IGNORADO", "cliente.documentoTipo"),
        ("CAMPO_IGNORADO", "cliente.apodo"),
        ("DIRECCION_SIN_CIUDAD", "cliente.direccion"),
    }


def test_xml_as_json_like_xml2js() -> None:
    xml = (
        '<rDE xmlns="http://ekuatia.set.gov.py/sifen/xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xsi:schemaLocation="http://ekuatia.set.gov.py/sifen/xsd siRecepDE_v150.xsd"><dVerFor>150</dVerFor>'
        '<DE Id="01"><gCamItem><a>1</a></gCamItem><gCamItem><a>2</a></gCamItem><e/></DE>'
        '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><Reference URI="#01"/></Signature></rDE>'
    )
    rde = xml_to_json(xml)
    assert rde is not None
    root = rde["rDE"]
    assert root["$"]["xmlns"] == "http://ekuatia.set.gov.py/sifen/xsd"
    assert root["$"]["xsi:schemaLocation"].endswith("siRecepDE_v150.xsd")
    assert root["dVerFor"] == "150"
    assert root["DE"]["$"] == {"Id": "01"} and root["DE"]["e"] == ""
    assert root["DE"]["gCamItem"] == [{"a": "1"}, {"a": "2"}]
    assert root["Signature"]["$"] == {"xmlns": "http://www.w3.org/2000/09/xmldsig#"}
    assert root["Signature"]["Reference"] == {"$": {"URI": "#01"}}
    assert xml_to_json("no xml") is None


def test_response_dates_are_paraguay_time_with_offset_and_whole_seconds() -> None:
    assert py_time(datetime(2026, 12, 7, 17, 5, 9, 123456, tzinfo=UTC)) == "2026-12-07T14:05:09-03:00"
    assert py_time("2026-12-07T17:05:09.5+00:00") == "2026-12-07T14:05:09-03:00"
    assert py_time("2026-12-07T14:05:09") == "2026-12-07T14:05:09-03:00"  # SIFEN's local time
    assert py_time(None) is None and py_time("ayer") == "ayer"
