"""Corpus of bad inputs: each yields its stable code and JSON path, never an exception.

Rules cited per case (MT v150 field ids / rule numbers).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from sifenflow_common.documents.engine import build_document, validate_document
from sifenflow_common.errors import DocumentInvalid
from tests.fixtures.documents import load_fixture

pytestmark = pytest.mark.unit

Fx = dict[str, Any]


def _set(path: str, value: Any) -> Callable[[Fx], None]:
    def apply(fx: Fx) -> None:
        node: Any = fx
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        last = parts[-1]
        if value is _DELETE:
            del node[last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return apply


_DELETE = object()


def _both(*steps: Callable[[Fx], None]) -> Callable[[Fx], None]:
    def apply(fx: Fx) -> None:
        for step in steps:
            step(fx)

    return apply


# (case id, base fixture, mutation, expected code, expected path)
CASES: list[tuple[str, str, Callable[[Fx], None], str, str]] = [
    ("missing cliente group", "fe_contado", _set("data.cliente", _DELETE), "CAMPO_REQUERIDO", "data.cliente"),
    (
        "missing factura group (E010)",
        "fe_contado",
        _set("data.factura", _DELETE),
        "GRUPO_REQUERIDO",
        "data.factura",
    ),
    (
        "missing condicion (E600)",
        "fe_contado",
        _set("data.condicion", _DELETE),
        "GRUPO_REQUERIDO",
        "data.condicion",
    ),
    (
        "NC without documentoAsociado (H001)",
        "nc_electronico",
        _set("data.documentoAsociado", _DELETE),
        "GRUPO_REQUERIDO",
        "data.documentoAsociado",
    ),
    (
        "NC without motivo group (E400)",
        "nc_electronico",
        _set("data.notaCreditoDebito", _DELETE),
        "GRUPO_REQUERIDO",
        "data.notaCreditoDebito",
    ),
    (
        "NR without transporte (E900)",
        "nre_transporte",
        _set("data.transporte", _DELETE),
        "GRUPO_REQUERIDO",
        "data.transporte",
    ),
    (
        "NR without remision (E500)",
        "nre_transporte",
        _set("data.remision", _DELETE),
        "GRUPO_REQUERIDO",
        "data.remision",
    ),
    (
        "AFE without constancia",
        "afe_constancia",
        _set("data.documentoAsociado", _DELETE),
        "GRUPO_REQUERIDO",
        "data.documentoAsociado",
    ),
    ("no items (E700)", "fe_contado", _set("data.items", []), "CAMPO_REQUERIDO", "data.items"),
    (
        "emisor RUC wrong DV (D102)",
        "fe_contado",
        _set("params.ruc", "80069563-2"),
        "RUC_DV_INVALIDO",
        "params.ruc",
    ),
    (
        "receptor RUC wrong DV (D207)",
        "fe_contado",
        _set("data.cliente.ruc", "80013884-1"),
        "RUC_DV_INVALIDO",
        "data.cliente.ruc",
    ),
    (
        "RUC without DV",
        "fe_contado",
        _set("data.cliente.ruc", "80013884"),
        "RUC_INVALIDO",
        "data.cliente.ruc",
    ),
    (
        "cantidad is a list",
        "fe_contado",
        _set("data.items.0.cantidad", [1]),
        "TIPO_INVALIDO",
        "data.items[0].cantidad",
    ),
    (
        "precio not numeric",
        "fe_contado",
        _set("data.items.0.precioUnitario", "mil"),
        "TIPO_INVALIDO",
        "data.items[0].precioUnitario",
    ),
    (
        "contribuyente not a boolean",
        "fe_contado",
        _set("data.cliente.contribuyente", {"a": 1}),
        "TIPO_INVALIDO",
        "data.cliente.contribuyente",
    ),
    ("items is an object", "fe_contado", _set("data.items", {"codigo": "x"}), "TIPO_INVALIDO", "data.items"),
    (
        "impossible date",
        "fe_contado",
        _set("data.fecha", "2024-02-30T10:00:00"),
        "FECHA_INVALIDA",
        "data.fecha",
    ),
    (
        "date with offset (D002)",
        "fe_contado",
        _set("data.fecha", "2024-06-15T10:30:00-03:00"),
        "FECHA_FORMATO_INVALIDO",
        "data.fecha",
    ),
    (
        "date with milliseconds (D002)",
        "fe_contado",
        _set("data.fecha", "2024-06-15T10:30:00.123"),
        "FECHA_FORMATO_INVALIDO",
        "data.fecha",
    ),
    (
        "emission before timbrado start (C008, 1107)",
        "fe_contado",
        _set("data.fecha", "2023-12-31T10:00:00"),
        "FECHA_ANTERIOR_TIMBRADO",
        "data.fecha",
    ),
    (
        "unknown city code",
        "fe_contado",
        _set("data.cliente.ciudad", 999999),
        "CIUDAD_INVALIDA",
        "data.cliente.ciudad",
    ),
    (
        "city in another department",
        "fe_contado",
        _set("data.cliente.departamento", 8),
        "UBICACION_INCONSISTENTE",
        "data.cliente.departamento",
    ),
    (
        "department description mismatch",
        "fe_contado",
        _set("params.establecimientos.0.departamentoDescripcion", "CENTRAL"),
        "DESCRIPCION_NO_COINCIDE",
        "params.establecimientos[0].departamentoDescripcion",
    ),
    (
        "oversized description (E708 max 2000)",
        "fe_contado",
        _set("data.items.0.descripcion", "x" * 2001),
        "LONGITUD_INVALIDA",
        "data.items[0].descripcion",
    ),
    (
        "oversized razonSocial",
        "fe_contado",
        _set("data.cliente.razonSocial", "x" * 256),
        "LONGITUD_INVALIDA",
        "data.cliente.razonSocial",
    ),
    ("unknown currency (D015)", "fe_contado", _set("data.moneda", "XYZ"), "MONEDA_INVALIDA", "data.moneda"),
    ("USD without cambio (D018)", "fe_usd", _set("data.cambio", _DELETE), "CAMBIO_REQUERIDO", "data.cambio"),
    (
        "USD without condicionTipoCambio (D017)",
        "fe_usd",
        _set("data.condicionTipoCambio", _DELETE),
        "CAMBIO_REQUERIDO",
        "data.condicionTipoCambio",
    ),
    (
        "unknown unit (E709)",
        "fe_contado",
        _set("data.items.0.unidadMedida", 1),
        "UNIDAD_MEDIDA_INVALIDA",
        "data.items[0].unidadMedida",
    ),
    (
        "IVA rate 7 (E734)",
        "fe_contado",
        _set("data.items.0.iva", 7),
        "IVA_INCONSISTENTE",
        "data.items[0].iva",
    ),
    (
        "exento with rate 10",
        "fe_gravado_parcial",
        _set("data.items.2.iva", 10),
        "IVA_INCONSISTENTE",
        "data.items[2].iva",
    ),
    (
        "gravado with proportion 50",
        "fe_contado",
        _set("data.items.0.ivaBase", 50),
        "IVA_INCONSISTENTE",
        "data.items[0].ivaProporcion",
    ),
    (
        "decimals in PYG price",
        "fe_contado",
        _set("data.items.0.precioUnitario", "1000.5"),
        "DECIMALES_EXCEDIDOS",
        "data.items[0].precioUnitario",
    ),
    (
        "negative quantity",
        "fe_contado",
        _set("data.items.0.cantidad", -1),
        "VALOR_INVALIDO",
        "data.items[0].cantidad",
    ),
    (
        "discount above price",
        "fe_contado",
        _set("data.items.0.descuento", 200000),
        "DESCUENTO_EXCEDE_PRECIO",
        "data.items[0].descuento",
    ),
    (
        "entregas do not cover contado total",
        "fe_contado",
        _set("data.condicion.entregas.0.monto", 1000),
        "ENTREGAS_INSUFICIENTES",
        "data.condicion.entregas",
    ),
    (
        "cuotas do not add up",
        "fe_credito_cuotas",
        _set("data.condicion.credito.infoCuotas.0.monto", 1),
        "CUOTAS_NO_COINCIDEN",
        "data.condicion.credito.infoCuotas",
    ),
    (
        "credito cuotas without detail",
        "fe_credito_cuotas",
        _set("data.condicion.credito.infoCuotas", _DELETE),
        "CAMPO_REQUERIDO",
        "data.condicion.credito.infoCuotas",
    ),
    (
        "tarjeta without infoTarjeta (E620)",
        "fe_tarjeta_cheque",
        _set("data.condicion.entregas.0.infoTarjeta", _DELETE),
        "PAGO_INCOMPLETO",
        "data.condicion.entregas[0].infoTarjeta",
    ),
    (
        "innominado in B2B (1319)",
        "fe_innominado",
        _set("data.cliente.tipoOperacion", 1),
        "INNOMINADO_NO_PERMITIDO",
        "data.cliente.documentoTipo",
    ),
    (
        "innominado above 60M (1321)",
        "fe_innominado",
        _set("data.items.0.precioUnitario", 60_000_000),
        "INNOMINADO_MONTO_EXCEDIDO",
        "data.cliente.documentoTipo",
    ),
    ("B2G without DNCP", "fe_b2g_dncp", _set("data.dncp", _DELETE), "DNCP_REQUERIDO", "data.dncp"),
    (
        "B2F with PRY receptor",
        "fe_b2f",
        _set("data.cliente.pais", "PRY"),
        "RECEPTOR_INVALIDO",
        "data.cliente.pais",
    ),
    (
        "contribuyente without RUC (D206)",
        "fe_contado",
        _set("data.cliente.ruc", _DELETE),
        "CAMPO_REQUERIDO",
        "data.cliente.ruc",
    ),
    (
        "no contribuyente without documento (D208)",
        "fe_b2c_cedula",
        _set("data.cliente.documentoTipo", _DELETE),
        "CAMPO_REQUERIDO",
        "data.cliente.documentoTipo",
    ),
    (
        "unknown tipoDocumento",
        "fe_contado",
        _set("data.tipoDocumento", 2),
        "TIPO_DOCUMENTO_INVALIDO",
        "data.tipoDocumento",
    ),
    (
        "establecimiento not in params",
        "fe_contado",
        _set("data.establecimiento", "002"),
        "ESTABLECIMIENTO_NO_REGISTRADO",
        "data.establecimiento",
    ),
    (
        "numero with letters (C007)",
        "fe_contado",
        _set("data.numero", "12A"),
        "ESTABLECIMIENTO_INVALIDO",
        "data.numero",
    ),
    (
        "codigo de seguridad equal to numero (MT §10.3)",
        "fe_contado",
        _set("data.codigoSeguridadAleatorio", "000000001"),
        "CODIGO_SEGURIDAD_INVALIDO",
        "data.codigoSeguridadAleatorio",
    ),
    (
        "associated CDC with wrong DV (H004)",
        "nc_electronico",
        _set("data.documentoAsociado.cdc", "01800695631001001000000122024061511234567891"),
        "CDC_INVALIDO",
        "data.documentoAsociado.cdc",
    ),
    (
        "printed associated doc without timbrado (H005)",
        "nd_impreso",
        _set("data.documentoAsociado.0.timbrado", _DELETE),
        "DOCUMENTO_ASOCIADO_INVALIDO",
        "data.documentoAsociado[0].timbrado",
    ),
    (
        "NR vehicle by matricula without it",
        "nre_transporte",
        _set("data.transporte.vehiculo.numeroMatricula", _DELETE),
        "CAMPO_REQUERIDO",
        "data.transporte.vehiculo.numeroMatricula",
    ),
    (
        "NR without descripcion (B006)",
        "nre_transporte",
        _set("data.descripcion", _DELETE),
        "CAMPO_REQUERIDO",
        "data.descripcion",
    ),
    (
        "NR receptor without address",
        "nre_transporte",
        _set("data.cliente.direccion", _DELETE),
        "CAMPO_REQUERIDO",
        "data.cliente.direccion",
    ),
    (
        "motivo code out of list (E401)",
        "nc_electronico",
        _set("data.notaCreditoDebito.motivo", 12),
        "CODIGO_NO_PERMITIDO",
        "data.notaCreditoDebito.motivo",
    ),
    (
        "tipo de pago 'otro' without description",
        "fe_contado",
        _set("data.condicion.entregas.0.tipo", 99),
        "DESCRIPCION_REQUERIDA",
        "data.condicion.entregas[0].tipoDescripcion",
    ),
    (
        "bad email",
        "fe_contado",
        _set("data.cliente.email", "no es correo"),
        "EMAIL_INVALIDO",
        "data.cliente.email",
    ),
    (
        "given CDC does not match (its numero is 0000001)",
        "fe_contado",
        _both(
            _set("data.cdc", "01800695631001001000000122024061511234567896"), _set("data.numero", "0000002")
        ),
        "CDC_NO_COINCIDE",
        "data.cdc",
    ),
    (
        "format version other than 150 (AA002)",
        "fe_contado",
        _set("params.version", 141),
        "VALOR_INVALIDO",
        "params.version",
    ),
    (
        "negative global discount",
        "fe_contado",
        _set("data.descuentoGlobal", -100),
        "VALOR_INVALIDO",
        "data.descuentoGlobal",
    ),
    (
        "global discount above the total (EA008 < 0)",
        "fe_contado",
        _set("data.descuentoGlobal", 200000),
        "DESCUENTO_EXCEDE_PRECIO",
        "data.items[1]",
    ),
    (
        "actividad económica code with lowercase (D131)",
        "fe_contado",
        _set("params.actividadesEconomicas.0.codigo", "ab1"),
        "VALOR_INVALIDO",
        "params.actividadesEconomicas[0].codigo",
    ),
    (
        "documento number with spaces (D210)",
        "fe_b2c_cedula",
        _set("data.cliente.documentoNumero", "3 456"),
        "VALOR_INVALIDO",
        "data.cliente.documentoNumero",
    ),
    ("serie in lowercase (C010)", "fe_contado", _set("data.serie", "ab"), "SERIE_INVALIDA", "data.serie"),
    ("recibo serie not letters", "recibo", _set("data.serie", "001"), "SERIE_INVALIDA", "data.serie"),
    (
        "negative vuelto (tMontoBase6)",
        "fe_sector_supermercados",
        _set("data.sectorSupermercados.vuelto", -1),
        "VALOR_INVALIDO",
        "data.sectorSupermercados.vuelto",
    ),
    (
        "kms out of range (E505)",
        "nre_transporte",
        _set("data.remision.kms", 0),
        "VALOR_INVALIDO",
        "data.remision.kms",
    ),
    (
        "NaN amount",
        "fe_contado",
        _set("data.items.0.precioUnitario", "NaN"),
        "VALOR_INVALIDO",
        "data.items[0].precioUnitario",
    ),
]


@pytest.mark.parametrize(
    ("base", "mutate", "code", "path"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_yields_code_and_path(
    base: str, mutate: Callable[[Fx], None], code: str, path: str
) -> None:
    fx = copy.deepcopy(load_fixture(base))
    mutate(fx)
    issues = validate_document(fx["params"], fx["data"])
    assert (code, path) in {(i.code, i.path) for i in issues}, issues
    with pytest.raises(DocumentInvalid) as info:
        build_document(fx["params"], fx["data"])
    assert all(i.message and i.code.isupper() for i in info.value.issues)


@pytest.mark.parametrize("data", [None, [], "texto", 42, 1.5, True])
def test_wrong_json_types_for_whole_groups(data: object) -> None:
    fx = load_fixture("fe_contado")
    issues = validate_document(fx["params"], data)  # type: ignore[arg-type]
    assert [(i.code, i.path) for i in issues] == [("TIPO_INVALIDO", "data")]
    issues = validate_document(data, fx["data"])  # type: ignore[arg-type]
    assert ("TIPO_INVALIDO", "params") in {(i.code, i.path) for i in issues}


def test_all_issues_come_back_at_once() -> None:
    fx = load_fixture("fe_contado")
    fx["params"]["ruc"] = "80069563-9"
    fx["data"]["fecha"] = "2024-13-01T00:00:00"
    fx["data"]["cliente"]["ciudad"] = 424242
    fx["data"]["items"][1]["iva"] = 3
    found = {(i.code, i.path) for i in validate_document(fx["params"], fx["data"])}
    assert {
        ("RUC_DV_INVALIDO", "params.ruc"),
        ("FECHA_INVALIDA", "data.fecha"),
        ("CIUDAD_INVALIDA", "data.cliente.ciudad"),
        ("IVA_INCONSISTENTE", "data.items[1].iva"),
    } <= found


def test_structural_errors_are_all_reported() -> None:
    fx = load_fixture("fe_contado")
    fx["data"]["items"][0]["cantidad"] = "x"
    fx["data"]["items"][1]["unidadMedida"] = "unidad"
    del fx["data"]["fecha"]
    found = {(i.code, i.path) for i in validate_document(fx["params"], fx["data"])}
    assert found >= {
        ("TIPO_INVALIDO", "data.items[0].cantidad"),
        ("TIPO_INVALIDO", "data.items[1].unidadMedida"),
        ("CAMPO_REQUERIDO", "data.fecha"),
    }


@pytest.mark.parametrize(
    ("base", "value", "path"),
    [
        ("nc_electronico", {"formato": "x"}, "data.documentoAsociado.formato"),
        ("nc_electronico", [{"formato": "x"}], "data.documentoAsociado[0].formato"),
        ("nc_electronico", 5, "data.documentoAsociado"),
    ],
)
def test_object_or_list_fields_report_the_shape_that_was_sent(base: str, value: object, path: str) -> None:
    # documentoAsociado is an object or an array (facturasend-api.md §3.11): one issue, at the sent shape
    fx = load_fixture(base)
    fx["data"]["documentoAsociado"] = value
    issues = validate_document(fx["params"], fx["data"])
    assert [(i.code, i.path) for i in issues] == [("TIPO_INVALIDO", path)]


def test_type_errors_and_rule_issues_come_back_together() -> None:
    # an invalid optional field is reported and dropped, so the rules still run on the rest
    fx = load_fixture("fe_contado")
    fx["data"]["cliente"]["email"] = ["no", "texto"]
    fx["data"]["cliente"]["ciudad"] = 99999
    fx["params"]["ruc"] = "80069563-3"
    found = [(i.code, i.path) for i in validate_document(fx["params"], fx["data"])]
    assert sorted(found) == sorted(
        [
            ("TIPO_INVALIDO", "data.cliente.email"),
            ("RUC_DV_INVALIDO", "params.ruc"),
            ("CIUDAD_INVALIDA", "data.cliente.ciudad"),
        ]
    )
