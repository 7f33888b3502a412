"""The input tolerance policy over real HTTP on real PostgreSQL: every create path reads blanks as
absent and returns what it ignored as `warnings` (docs/document-engine.md, "Tolerancia de entrada")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sifenflow_common.testing.eventually import eventually
from tests.integration.gateway.conftest import LiveGateway, bearer
from tests.unit.gateway.samples import factura

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def tolerant(**overrides: Any) -> dict[str, Any]:
    doc = factura(observacion="", descripcion="  ", **overrides)
    doc["cliente"].update({"documentoTipo": 1, "documentoNumero": "1234567", "email": "", "telefono": None})
    return doc


async def test_de_create_reads_blanks_as_absent_and_returns_warnings(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    resp = await live.client.post(f"/{tenant.slug}/de/create", json=tolerant(), headers=bearer(token))
    body = await resp.json()
    assert resp.status == 200, body
    expected = [
        {"code": "CAMPO_IGNORADO", "path": "data.cliente.documentoTipo"},
        {"code": "CAMPO_IGNORADO", "path": "data.cliente.documentoNumero"},
    ]
    assert [{"code": w["code"], "path": w["path"]} for w in body["warnings"]] == expected
    assert body["result"]["warnings"] == body["warnings"]
    stored = await live.pool.fetchval("SELECT data FROM gateway_documents WHERE tenant_id = $1", tenant.id)
    data = json.loads(stored) if isinstance(stored, str) else stored
    assert "observacion" not in data and "descripcion" not in data  # absent, not empty
    assert "documentoTipo" not in data["cliente"] and "email" not in data["cliente"]


async def test_blank_required_field_is_400_campo_requerido_with_its_path(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    doc = factura()
    doc["cliente"]["razonSocial"] = ""
    doc["items"][0]["descripcion"] = "   "
    resp = await live.client.post(f"/{tenant.slug}/de/create", json=doc, headers=bearer(token))
    body = await resp.json()
    assert resp.status == 400, body
    found = {(e["code"], e["path"]) for e in body["errores"]}
    assert {
        ("CAMPO_REQUERIDO", "data.cliente.razonSocial"),
        ("CAMPO_REQUERIDO", "data.items[0].descripcion"),
    } <= found


async def test_lote_warnings_name_their_document(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    resp = await live.client.post(
        f"/{tenant.slug}/lote/create", json=[factura(), tolerant()], headers=bearer(token)
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert {(w["index"], w["path"]) for w in body["warnings"]} == {
        (1, "data.cliente.documentoTipo"),
        (1, "data.cliente.documentoNumero"),
    }


async def test_bulk_keeps_each_accepted_lines_warnings(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    bad = factura()
    bad["cliente"]["razonSocial"] = ""
    lines = [factura(), tolerant(), bad, tolerant()]
    ndjson = "\n".join(json.dumps(d) for d in lines).encode()
    resp = await live.client.post(f"/{tenant.slug}/bulk", data=ndjson, headers=bearer(token))
    assert resp.status == 202
    batch = (await resp.json())["batchId"]

    async def completed() -> dict[str, Any]:
        status = await (await live.client.get(f"/{tenant.slug}/bulk/{batch}", headers=bearer(token))).json()
        assert status["status"] == "completado"
        return dict(status)

    status = await eventually(completed, timeout=30)
    assert (status["accepted"], status["failed"]) == (3, 1)
    assert {(e["line"], e["code"]) for e in status["errors"]} == {(3, "CAMPO_REQUERIDO")}
    assert sorted((w["line"], w["path"]) for w in status["warnings"]) == [
        (2, "data.cliente.documentoNumero"),
        (2, "data.cliente.documentoTipo"),
        (4, "data.cliente.documentoNumero"),
        (4, "data.cliente.documentoTipo"),
    ]
    assert status["result"]["warnings"] == status["warnings"]


async def test_invoicing_returns_warnings_in_simple_body_paths(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    body = {
        "cliente": {"ruc": "80069563-1", "razonSocial": "Cliente SA", "tipoContribuyente": 2,
                    "tipoOperacion": 1, "documentoTipo": 1, "documentoNumero": "1234567", "email": ""},
        "items": [{"codigo": "A1", "descripcion": "Servicio", "cantidad": 1, "precioUnitario": 110000,
                   "ivaTipo": 10, "unidadMedida": 77}],
        "condicion": {"tipo": 1, "entregas": [{"tipo": 1, "monto": 110000, "moneda": "PYG"}]},
        "observacion": "",
    }  # fmt: skip
    resp = await live.client.post(
        f"/invoicing/emit/invoice?company_id={tenant.slug}", json=body, headers=bearer(token)
    )
    answer = await resp.json()
    assert resp.status == 200, answer
    assert {(w["code"], w["path"]) for w in answer["warnings"]} == {
        ("CAMPO_IGNORADO", "cliente.documentoTipo"),
        ("CAMPO_IGNORADO", "cliente.documentoNumero"),
    }
