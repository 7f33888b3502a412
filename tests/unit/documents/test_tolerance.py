"""The input tolerance policy (docs/document-engine.md, "Tolerancia de entrada")."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import pytest

from sifenflow_common.documents.engine import build_document, validate_document
from sifenflow_common.facturasend.tolerance import tolerate
from tests.fixtures.documents import load_fixture

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 21, 10, 0, 0)


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value


def test_blank_strings_mean_absent_at_every_depth() -> None:
    raw = {
        "observacion": "",
        "cliente": {"razonSocial": "ACME", "email": "  "},
        "items": [{"descripcion": "x", "lote": "\t"}],
    }
    out = tolerate(raw)
    assert out.data == {"cliente": {"razonSocial": "ACME"}, "items": [{"descripcion": "x"}]}
    assert out.warnings == []
    assert raw["observacion"] == ""  # the input is not modified


def test_snake_case_keys_are_folded_into_camel_case() -> None:
    assert tolerate({"tipo_documento": 1, "cliente": {"razon_social": "A"}}).data == {
        "tipoDocumento": 1,
        "cliente": {"razonSocial": "A"},
    }


def test_policy_is_idempotent() -> None:
    once = tolerate({"numeroSerie": "", "items": [{"iva_tipo": 1, "observacion": " "}]})
    twice = tolerate(once.data)
    assert twice.data == once.data and twice.warnings == []


def test_null_means_absent_too() -> None:
    assert tolerate({"cdc": None, "cliente": {"email": None, "razonSocial": "ACME"}}).data == {
        "cliente": {"razonSocial": "ACME"}
    }


@pytest.mark.parametrize(
    ("key", "value", "path"),
    [
        ("cliente.razonSocial", "", "data.cliente.razonSocial"),
        ("items.0.descripcion", "  ", "data.items[0].descripcion"),
        ("items.0.cantidad", "\t", "data.items[0].cantidad"),
        ("usuario.nombre", "", "data.usuario.nombre"),
    ],
)
def test_blank_required_field_is_campo_requerido_with_its_path(key: str, value: str, path: str) -> None:
    fx = load_fixture("fe_contado")
    fx["data"]["usuario"] = {
        "documentoTipo": 1,
        "documentoNumero": "123",
        "nombre": "Juan Perez",
        "cargo": "Caja",
    }
    _put(fx["data"], key, value)
    issues = validate_document(fx["params"], fx["data"])
    assert ("CAMPO_REQUERIDO", path) in {(i.code, i.path) for i in issues}, issues


def test_blank_optional_fields_build_like_absent_ones() -> None:
    fx = load_fixture("fe_contado")
    fx["data"]["codigoSeguridadAleatorio"] = "123456789"
    fx["data"].pop("observacion", None)
    fx["data"]["cliente"].pop("email", None)
    plain = build_document(fx["params"], fx["data"], now=NOW)
    data = copy.deepcopy(fx["data"])
    data["observacion"] = ""
    data["cliente"]["email"] = " "
    data["items"][0].update({"numeroSerie": "", "numeroPedido": "", "numeroSeguimiento": "", "lote": ""})
    tolerant = build_document(fx["params"], data, now=NOW)
    assert tolerant.xml == plain.xml and tolerant.warnings == ()


def test_documento_of_a_contribuyente_receptor_is_ignored_with_a_warning() -> None:
    fx = load_fixture("fe_contado")
    fx["data"]["codigoSeguridadAleatorio"] = "123456789"
    assert fx["data"]["cliente"]["contribuyente"] is True
    plain = build_document(fx["params"], fx["data"], now=NOW)
    fx["data"]["cliente"].update({"documentoTipo": 1, "documento_numero": "2324234"})
    built = build_document(fx["params"], fx["data"], now=NOW)
    assert built.xml == plain.xml
    assert [(w.code, w.path) for w in built.warnings] == [
        ("CAMPO_IGNORADO", "data.cliente.documentoTipo"),
        ("CAMPO_IGNORADO", "data.cliente.documentoNumero"),
    ]


def test_contribuyente_without_ruc_keeps_its_documento_and_the_error() -> None:
    out = tolerate({"cliente": {"contribuyente": True, "documentoTipo": 1, "documentoNumero": "1"}})
    assert out.data["cliente"]["documentoTipo"] == 1 and out.warnings == []


def test_ruc_of_a_non_contribuyente_and_documento_of_b2f_are_ignored() -> None:
    out = tolerate(
        {"cliente": {"contribuyente": False, "tipoOperacion": 4, "ruc": "80009735-1", "documentoTipo": 2}}
    )
    assert out.data["cliente"] == {"contribuyente": False, "tipoOperacion": 4}
    assert {w.path for w in out.warnings} == {"data.cliente.ruc", "data.cliente.documentoTipo"}


def test_matching_description_is_kept_silently_and_a_contradicting_one_is_ignored() -> None:
    fx = load_fixture("fe_contado")
    fx["data"]["factura"]["presenciaDescripcion"] = "operación PRESENCIAL"  # case and accents aside
    fx["data"]["condicion"]["entregas"][0]["monedaDescripcion"] = "Guarani"
    assert build_document(fx["params"], fx["data"], now=NOW).warnings == ()
    fx["data"]["factura"]["presenciaDescripcion"] = "Venta a domicilio"
    built = build_document(fx["params"], fx["data"], now=NOW)
    assert [(w.code, w.path) for w in built.warnings] == [
        ("CAMPO_IGNORADO", "data.factura.presenciaDescripcion")
    ]
    assert b"<dDesIndPres>Operaci\xc3\xb3n presencial</dDesIndPres>" in built.xml
    assert "Venta a domicilio" in built.warnings[0].message


def test_description_of_an_otro_code_is_the_issuers_text() -> None:
    data = {"condicion": {"entregas": [{"tipo": 99, "tipoDescripcion": "Cripto"}]}}
    assert tolerate(data).data == data


def test_card_brand_description_in_a_list_is_checked_per_element() -> None:
    data = {
        "condicion": {
            "entregas": [
                {"tipo": 1},
                {"tipo": 3, "infoTarjeta": {"tipo": 1, "tipoDescripcion": "Dinelco"}},
            ]
        }
    }
    out = tolerate(data)
    assert "tipoDescripcion" not in out.data["condicion"]["entregas"][1]["infoTarjeta"]
    assert [w.path for w in out.warnings] == ["data.condicion.entregas[1].infoTarjeta.tipoDescripcion"]
    assert "tipoDescripcion" in data["condicion"]["entregas"][1]["infoTarjeta"]  # input untouched
    assert tolerate(out.data).warnings == []


def test_geographic_descriptions_compare_on_the_catalogs_30_characters() -> None:
    cliente = {"departamento": 11, "departamentoDescripcion": "alto parana", "ciudad": 1}
    cliente["ciudadDescripcion"] = "Ciudad que no es"
    out = tolerate({"cliente": cliente})
    assert [w.path for w in out.warnings] == ["data.cliente.ciudadDescripcion"]


def test_a_rule_may_correct_a_value_and_the_input_stays_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    from sifenflow_common.facturasend import tolerance
    from sifenflow_common.facturasend.tolerance_edit import Edit

    def total_from_parts(data: dict[str, Any]) -> list[Edit]:
        parts = sum(p["monto"] for p in data.get("partes", []))
        if data.get("total") == parts:
            return []
        return [Edit((), "total", "VALOR_CORREGIDO", f"total recalculado: {parts}", value=parts)]

    monkeypatch.setattr(tolerance, "RULES", (*tolerance.RULES, total_from_parts))
    raw = {"total": 1, "partes": [{"monto": 2}, {"monto": 3}], "nota": ""}
    out = tolerance.tolerate(raw)
    assert out.data == {"total": 5, "partes": [{"monto": 2}, {"monto": 3}]}
    assert [(w.code, w.path) for w in out.warnings] == [("VALOR_CORREGIDO", "data.total")]
    assert raw == {"total": 1, "partes": [{"monto": 2}, {"monto": 3}], "nota": ""}
    assert tolerance.tolerate(out.data).warnings == []


def test_descriptions_the_engine_does_not_read_are_checked_too() -> None:
    data = {
        "tipoImpuesto": 1,
        "tipoImpuestoDescripcion": "ISC",
        "tipoTransaccion": 1,
        "tipoTransaccionDescripcion": "Venta de mercadería",
        "condicion": {"tipo": 1, "tipoDescripcion": "Contado"},
        "items": [{"ivaTipo": 1, "ivaTipoDescripcion": "Gravado IVA"}],
    }
    out = tolerate(data)
    assert [(w.code, w.path) for w in out.warnings] == [("CAMPO_IGNORADO", "data.tipoImpuestoDescripcion")]
    assert "tipoImpuestoDescripcion" not in out.data and out.data["condicion"]["tipoDescripcion"] == "Contado"
