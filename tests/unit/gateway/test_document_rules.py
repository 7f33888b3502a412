"""CDC, normalisation, local checks, /invoicing mapping and the rate limiter (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sifenflow_common.facturasend.tolerance import camelize
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_gateway.adapters.engine import EngineAdapter
from sifenflow_gateway.invoicing_mapping import to_facturasend
from sifenflow_gateway.normalize import normalize
from sifenflow_gateway.ratelimit import LocalRateLimiter
from sifenflow_gateway.sifen_json import sifen_reply_json
from tests.unit.gateway.fakes import FakeDirectory
from tests.unit.gateway.invoicing_samples import REMISION_TRANSPORT
from tests.unit.gateway.samples import PARAMS, factura, tenant_body

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)


def test_cdc_reproduces_facturasend_example() -> None:
    # MT v150 §10.1 layout; example CDC from FacturaSend docs: 01 80069563 1 001 002 1006946 1
    # 20211124 1 031118419 + DV 4
    data = {
        "tipoDocumento": 1,
        "establecimiento": "001",
        "punto": "002",
        "numero": 1006946,
        "fecha": "2021-11-24T10:00:00",
        "tipoEmision": 1,
        "codigoSeguridadAleatorio": "031118419",
    }
    assert EngineAdapter().cdc(PARAMS, data) == "01800695631001002100694612021112410311184194"


def test_normalize_fills_date_code_and_pads() -> None:
    data, numero, issues = normalize(
        {"tipo_documento": 1, "establecimiento": 1, "punto": "2", "numero": "0000015"}, NOW
    )
    assert issues == [] and numero == 15
    assert data["tipoDocumento"] == 1 and data["establecimiento"] == "001" and data["punto"] == "002"
    assert data["fecha"] == "2026-11-20T10:00:00"  # Paraguay time (UTC-3)
    code = data["codigoSeguridadAleatorio"]
    assert len(code) == 9 and code.isdigit() and int(code) != 0 and int(code) != 15  # MT v150 §10.3


@pytest.mark.parametrize("numero", [0, "abc", 10_000_000, True])
def test_normalize_rejects_bad_numbers(numero: object) -> None:
    _, _, issues = normalize({"establecimiento": 1, "punto": 1, "numero": numero}, NOW)
    assert [i.code for i in issues] == ["NUMERO_INVALIDO"]


def test_camelize_prefers_camel_case() -> None:
    assert camelize({"tipo_documento": 5, "tipoDocumento": 1, "items": [{"precio_unitario": 3}]}) == {
        "tipoDocumento": 1,
        "items": [{"precioUnitario": 3}],
    }


def test_engine_adapter_accepts_sample_and_flags_items() -> None:
    engine = EngineAdapter()
    assert engine.validate(PARAMS, dict(factura(), numero=1)) == []
    doc = factura(tipoDocumento=5, numero=1)
    doc["items"][0]["ivaTipo"] = 9
    paths = {i.path for i in engine.validate(PARAMS, doc)}
    # MT v150 E731 iAfecIVA code list; E400 / H001 required for notas de crédito/débito
    assert {"data.items[0].ivaTipo", "data.notaCreditoDebito", "data.documentoAsociado"} <= paths


def test_tax_totals_iva_included() -> None:
    doc = factura(numero=1)
    doc["items"].append(dict(doc["items"][0], precioUnitario=10500, iva=5, cantidad=2))
    doc["condicion"]["entregas"][0]["monto"] = 131000
    # MT v150 F: IVA included in the price: 110000 at 10 % → 10000; 21000 at 5 % → 1000
    assert EngineAdapter().tax_totals(PARAMS, doc) == {"dIVA5": 1000.0, "dIVA10": 10000.0}


async def _tenant():  # type: ignore[no-untyped-def]
    data, _ = parse_tenant_input(tenant_body("acme"))
    assert data is not None
    return await FakeDirectory().create_tenant(data)


async def test_invoicing_invoice_mapping() -> None:
    tenant = await _tenant()
    body = {
        "cliente": {
            "ruc": "80069563-1",
            "razonSocial": "Cliente SA",
            "tipoContribuyente": 2,
            "tipoOperacion": 1,
        },
        "items": [
            {"codigo": "A", "descripcion": "X", "cantidad": 2, "precioUnitario": 5500, "ivaTipo": 10},
            {"codigo": "B", "descripcion": "Y", "cantidad": 1, "precioUnitario": 1000, "ivaTipo": 0},
        ],
    }
    data, issues = to_facturasend("invoice", body, tenant)
    assert issues == []
    assert data["tipoDocumento"] == 1 and data["factura"] == {"presencia": 1}
    assert data["cliente"]["contribuyente"] is True and data["cliente"]["codigo"] == "800695631"
    assert {k: data["items"][0][k] for k in ("ivaTipo", "iva", "ivaBase")} == {
        "ivaTipo": 1,
        "iva": 10,
        "ivaBase": 100,
    }
    assert {k: data["items"][1][k] for k in ("ivaTipo", "iva", "ivaBase")} == {
        "ivaTipo": 3,
        "iva": 0,
        "ivaBase": 0,
    }
    assert data["condicion"] == {"tipo": 1, "entregas": [{"tipo": 1, "monto": 12000, "moneda": "PYG"}]}
    assert EngineAdapter().validate(PARAMS, dict(data, numero=1, fecha="2026-11-20T10:00:00")) == []


@pytest.mark.parametrize(
    ("kind", "motivo", "imotemi"),
    [("credit-note", 1, 2), ("credit-note", 4, 8), ("debit-note", 1, 6), ("debit-note", 3, 7)],
)
async def test_invoicing_note_motivo_mapping(kind: str, motivo: int, imotemi: int) -> None:
    tenant = await _tenant()
    cdc = "01800695631001001000000112026112010123456789"
    body = {
        "cliente": {"documentoNumero": "1234567", "documentoTipo": 1, "razonSocial": "Juan"},
        "items": [{"codigo": "A", "descripcion": "X", "cantidad": 1, "precioUnitario": 100, "ivaTipo": 5}],
        "motivo": motivo,
        "documentoAsociado": {"cdc": cdc, "tipo": 1},
    }
    data, issues = to_facturasend(kind, body, tenant)
    assert issues == []
    assert data["notaCreditoDebito"] == {"motivo": imotemi}
    assert data["documentoAsociado"] == {"formato": 1, "cdc": cdc}
    assert data["cliente"]["contribuyente"] is False and data["cliente"]["documentoNumero"] == "1234567"


async def test_invoicing_errors_use_simple_paths() -> None:
    tenant = await _tenant()
    body = {
        "cliente": {"razonSocial": "X"},
        "items": [{"codigo": "A", "descripcion": "X", "cantidad": 1}],
        "motivo": 9,
    }
    _, issues = to_facturasend("debit-note", body, tenant)
    assert {(i.code, i.path) for i in issues} == {
        ("ITEMS_SIN_PRECIO", "items[0]"),
        ("MOTIVO_INVALIDO", "motivo"),
        ("CAMPO_REQUERIDO", "documentoAsociado"),
    }


async def test_invoicing_remision_defaults() -> None:
    tenant = await _tenant()
    body = {
        "cliente": {"ruc": "80069563-1", "razonSocial": "Suc"},
        "items": [{"codigo": "A", "descripcion": "X", "cantidad": 3}],
        **REMISION_TRANSPORT,
    }
    data, issues = to_facturasend("remision", body, tenant)
    assert issues == []
    assert data["remision"] == {"motivo": 7, "tipoResponsable": 1, "kms": 12}
    assert "precioUnitario" not in data["items"][0]


async def test_rate_limiter_refills() -> None:
    now = [0.0]
    limiter = LocalRateLimiter(rate_per_second=2, burst=2, clock=lambda: now[0])
    assert [await limiter.take("k") for _ in range(2)] == [0.0, 0.0]
    assert await limiter.take("k") == pytest.approx(0.5)
    now[0] = 0.5
    assert await limiter.take("k") == 0.0
    assert await limiter.take("other") == 0.0


def test_sifen_sync_reply_as_facturasend_json() -> None:
    # rRetEnviDe (siRecepDE answer, MT v150 §12.3.4.1): dFecProc + rProtDe{Id, dEstRes, dProtAut, gResProc}
    soap = b"""<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>
      <ns2:rRetEnviDe xmlns:ns2="http://ekuatia.set.gov.py/sifen/xsd"><ns2:rProtDe>
        <ns2:Id>01800695631001001000000112026112010123456789</ns2:Id><ns2:dFecProc>2026-11-20T10:00:01-03:00</ns2:dFecProc>
        <ns2:dEstRes>Aprobado</ns2:dEstRes><ns2:dProtAut>123456</ns2:dProtAut>
        <ns2:gResProc><ns2:dCodRes>0260</ns2:dCodRes><ns2:dMsgRes>Aprobado</ns2:dMsgRes></ns2:gResProc>
        <ns2:gResProc><ns2:dCodRes>1306</ns2:dCodRes><ns2:dMsgRes>Obs</ns2:dMsgRes></ns2:gResProc>
      </ns2:rProtDe></ns2:rRetEnviDe></env:Body></env:Envelope>"""
    reply = sifen_reply_json(soap)
    assert reply is not None
    prot = reply["ns2:rRetEnviDe"]["ns2:rProtDe"]
    assert prot["ns2:dEstRes"] == "Aprobado" and prot["ns2:dProtAut"] == "123456"
    assert [g["ns2:dCodRes"] for g in prot["ns2:gResProc"]] == ["0260", "1306"]
    assert sifen_reply_json(b"<html>SET caido</html>") is None
    assert sifen_reply_json(b"not xml") is None


def test_control_characters_are_refused_with_their_path() -> None:
    # XML 1.0 §2.2 Char: a backspace can never be in an rDE, so it never reaches the builder
    _, _, issues = normalize({"establecimiento": 1, "punto": 1, "cliente": {"razonSocial": "ACME\x08"}}, NOW)
    assert [(i.code, i.path) for i in issues] == [("CARACTER_INVALIDO", "data.cliente.razonSocial")]
    _, _, ok = normalize({"establecimiento": 1, "punto": 1, "observacion": "línea 1\nlínea 2\tñ"}, NOW)
    assert ok == []
