"""The FacturaSend-compatible HTTP surface on fakes (facturasend-api.md §1-§2)."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any

import pytest

from sifenflow_common.testing.eventually import eventually
from sifenflow_gateway.model import DocumentStatus
from tests.unit.gateway.conftest import MASTER, Harness, make_harness
from tests.unit.gateway.samples import factura, tenant_body

pytestmark = pytest.mark.unit


async def test_liveness_needs_no_key(gw: Harness) -> None:
    resp = await gw.client.get("/test")
    assert resp.status == 200
    assert "funciona" in await resp.text()


@pytest.mark.parametrize("header", [None, "Bearer api_key_nope", "Basic abc", "Bearer "])
async def test_bad_or_missing_key_is_401_invalid_token(gw: Harness, header: str | None) -> None:
    # facturasend-api.md §6: clients test for 401 + {success:false, error:"Invalid token"}
    headers = {"Authorization": header} if header else {}
    resp = await gw.client.get("/acme/test", headers=headers)
    assert resp.status == 401
    body = await resp.json()
    assert body["success"] is False and body["error"] == "Invalid token"


async def test_tenant_test_with_key(gw: Harness) -> None:
    resp = await gw.client.get("/acme/test", headers=gw.auth())
    assert resp.status == 200
    assert (await resp.json())["result"] == {"tenant": "acme", "role": "emisor"}


async def test_key_of_another_tenant_gets_404(gw: Harness) -> None:
    resp = await gw.client.get("/acme/test", headers=gw.auth(gw.other_token))
    assert resp.status == 404
    assert (await resp.json())["code"] == "EMPRESA_NO_ENCONTRADA"


async def test_de_create_answers_delist_with_result_mirror(gw: Harness) -> None:
    gw.status.outcome = DocumentStatus(situacion=2, respuesta_codigo="0260", respuesta_mensaje="Aprobado")
    resp = await gw.client.post("/acme/de/create", json=factura(), headers=gw.auth())
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["success"] is True
    (entry,) = body["deList"]
    assert entry["numero"] == "001-001-0000001"
    assert entry["estado"] == "Aprobado" and entry["respuesta_codigo"] == "0260"
    assert len(entry["cdc"]) == 44 and entry["cdc"].startswith("01800695631001001")
    assert body["result"] == {"deList": body["deList"], "loteId": body["loteId"]}
    assert gw.intake.requested[0].cdc == entry["cdc"]  # handed to the pipeline


async def test_numbers_are_consecutive_per_series(gw: Harness) -> None:
    numbers = []
    for punto in ("001", "001", "002", "001"):
        resp = await gw.client.post("/acme/de/create", json=factura(punto=punto), headers=gw.auth())
        numbers.append((await resp.json())["deList"][0]["numero"])
    assert numbers == ["001-001-0000001", "001-001-0000002", "001-002-0000001", "001-001-0000003"]


async def test_validation_error_is_400_with_field_path(gw: Harness) -> None:
    doc = factura()
    doc["cliente"]["ruc"] = "80069563-7"  # wrong DV (MT v150 D206/D207, module-11)
    resp = await gw.client.post("/acme/de/create", json=doc, headers=gw.auth())
    assert resp.status == 400
    body = await resp.json()
    assert body["success"] is False
    assert body["errores"][0]["code"] == "RUC_DV_INVALIDO"
    assert body["errores"][0]["path"] == "data.cliente.ruc"
    assert "data.cliente.ruc" in body["error"]
    assert gw.intake.docs == []  # nothing numbered


async def test_unknown_establishment_is_rejected(gw: Harness) -> None:
    resp = await gw.client.post("/acme/de/create", json=factura(establecimiento="009"), headers=gw.auth())
    assert resp.status == 400
    assert (await resp.json())["errores"][0]["code"] == "ESTABLECIMIENTO_NO_HABILITADO"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "JSON_INVALIDO"),
        (b"", "JSON_INVALIDO"),
        (b"[1,2]", "JSON_INVALIDO"),
        (b"\xff\xfe", "JSON_INVALIDO"),
    ],
)
async def test_malformed_json_is_400_envelope(gw: Harness, raw: bytes, code: str) -> None:
    resp = await gw.client.post("/acme/de/create", data=raw, headers=gw.auth())
    assert resp.status == 400
    body = await resp.json()
    assert body["success"] is False and body["code"] == code
    assert body["errores"][0]["path"] == "$"


async def test_lectura_key_cannot_emit(gw: Harness) -> None:
    resp = await gw.client.post("/acme/de/create", json=factura(), headers=gw.auth(gw.reader_token))
    assert resp.status == 403
    assert (await resp.json())["code"] == "ROL_NO_AUTORIZADO"


async def test_lote_create_of_three_same_type(gw: Harness) -> None:
    resp = await gw.client.post("/acme/lote/create?tax=true", json=[factura()] * 3, headers=gw.auth())
    assert resp.status == 200
    body = await resp.json()
    assert [d["numero"] for d in body["deList"]] == [f"001-001-000000{i}" for i in (1, 2, 3)]
    assert all(d["estado"] == "Generado" for d in body["deList"])
    assert body["deList"][0]["dIVA10"] == 10000  # 110000 IVA incl. at 10 % → 10000 (MT F: dIVA10)
    assert body["loteId"] == body["result"]["loteId"]


async def test_lote_rejects_mixed_types_and_too_many(gw: Harness) -> None:
    nc = factura(tipoDocumento=5)
    resp = await gw.client.post("/acme/lote/create", json=[factura(), nc], headers=gw.auth())
    assert (await resp.json())["code"] == "LOTE_TIPOS_MEZCLADOS"
    resp = await gw.client.post("/acme/lote/create", json=[factura()] * 51, headers=gw.auth())
    assert resp.status == 400 and (await resp.json())["code"] == "LOTE_CANTIDAD_INVALIDA"


async def test_lote_errors_point_to_the_document_index(gw: Harness) -> None:
    bad = factura()
    bad["items"][0]["cantidad"] = 0
    resp = await gw.client.post("/acme/lote/create", json=[factura(), bad], headers=gw.auth())
    assert resp.status == 400
    issue = (await resp.json())["errores"][0]
    assert issue == {
        "code": "VALOR_INVALIDO",
        "path": "data.items[0].cantidad",
        "message": issue["message"],
        "index": 1,
    }
    assert gw.intake.docs == []  # a lote is all or nothing


async def test_idempotency_key_returns_first_result(gw: Harness) -> None:
    headers = {**gw.auth(), "Idempotency-Key": "pedido-42"}
    first = await (await gw.client.post("/acme/de/create", json=factura(), headers=headers)).json()
    second = await (await gw.client.post("/acme/de/create", json=factura(), headers=headers)).json()
    assert first["deList"][0]["cdc"] == second["deList"][0]["cdc"]
    assert len(gw.intake.docs) == 1
    other = await gw.client.post("/acme/de/create", json=factura(observacion="x"), headers=headers)
    assert other.status == 422
    assert (await other.json())["code"] == "IDEMPOTENCY_KEY_REUTILIZADA"


async def test_given_number_resend_returns_first_and_reuse_is_409(gw: Harness) -> None:
    doc = factura(numero=77)
    first = await (await gw.client.post("/acme/de/create", json=doc, headers=gw.auth())).json()
    again = await (await gw.client.post("/acme/de/create", json=doc, headers=gw.auth())).json()
    assert first["deList"][0]["cdc"] == again["deList"][0]["cdc"]
    clash = await gw.client.post(
        "/acme/de/create", json=factura(numero=77, observacion="otro"), headers=gw.auth()
    )
    assert clash.status == 409
    body = await clash.json()
    assert body["code"] == "NUMERO_YA_UTILIZADO" and body["errores"][0]["path"] == "data.numero"
    # the counter moved past the given number: the next allocation does not collide with it
    nxt = await (await gw.client.post("/acme/de/create", json=factura(), headers=gw.auth())).json()
    assert nxt["deList"][0]["numero"] == "001-001-0000078"


async def test_query_by_cdc_id_and_estado_stay_in_tenant(gw: Harness) -> None:
    body = await (await gw.client.post("/acme/de/create", json=factura(), headers=gw.auth())).json()
    cdc, doc_id = body["deList"][0]["cdc"], body["deList"][0]["id"]
    resp = await gw.client.get(f"/acme/de/cdc/{cdc}", headers=gw.auth(gw.reader_token))
    assert (await resp.json())["result"]["cdc"] == cdc
    resp = await gw.client.get(f"/acme/de/id/{doc_id}", headers=gw.auth())
    assert (await resp.json())["result"]["numero"] == "001-001-0000001"
    # the other tenant's key: its own path finds nothing, the foreign path is 404 too
    assert (await gw.client.get(f"/otra/de/cdc/{cdc}", headers=gw.auth(gw.other_token))).status == 404
    assert (await gw.client.get(f"/acme/de/cdc/{cdc}", headers=gw.auth(gw.other_token))).status == 404
    resp = await gw.client.post(
        "/acme/de/estado", json={"cdcList": [{"cdc": cdc}, {"cdc": "0" * 44}]}, headers=gw.auth()
    )
    states = (await resp.json())["deList"]
    assert states[0]["estado"] == "Generado" and states[1]["situacion"] == 98


async def test_de_xml_served_when_signed(gw: Harness) -> None:
    body = await (await gw.client.post("/acme/de/create", json=factura(), headers=gw.auth())).json()
    cdc = body["deList"][0]["cdc"]
    assert (await gw.client.get(f"/acme/de/xml/{cdc}", headers=gw.auth())).status == 409
    gw.status.outcome = DocumentStatus(situacion=2, xml="<rDE/>")
    resp = await gw.client.get(f"/acme/de/xml/{cdc}", headers=gw.auth())
    assert resp.status == 200 and await resp.text() == "<rDE/>"


async def test_draft_lote_confirm_and_reject(gw: Harness) -> None:
    body = await (
        await gw.client.post("/acme/lote/create?draft=true", json=[factura()], headers=gw.auth())
    ).json()
    assert body["deList"][0]["estado"] == "Borrador"
    assert gw.intake.requested == []  # nothing goes to SIFEN before confirmation
    lote = body["loteId"]
    confirmed = await gw.client.post(f"/acme/lote/draft-confirm/{lote}", headers=gw.auth())
    assert (await confirmed.json())["deList"][0]["estado"] == "Generado"
    assert len(gw.intake.requested) == 1
    assert (await gw.client.post(f"/acme/lote/draft-confirm/{lote}", headers=gw.auth())).status == 404
    second = await (
        await gw.client.post("/acme/lote/create?draft=true", json=[factura()], headers=gw.auth())
    ).json()
    rejected = await gw.client.post(f"/acme/lote/draft-reject/{second['loteId']}", headers=gw.auth())
    assert (await rejected.json())["success"] is True


async def test_recibo_is_type_55_and_approved(gw: Harness) -> None:
    recibo = {
        "establecimiento": "001",
        "punto": "001",
        "concepto": "Cuota 1 de 3",
        "total": 150000,
        "cliente": {
            "contribuyente": False,
            "razonSocial": "CONSUMIDOR FINAL",
            "documentoTipo": 5,
            "tipoOperacion": 2,
        },
    }
    body = await (await gw.client.post("/acme/recibo/create", json=recibo, headers=gw.auth())).json()
    (entry,) = body["reciboList"]
    assert entry["cdc"].startswith("55") and entry["estado"] == "Aprobado"
    no_total = {k: v for k, v in recibo.items() if k not in ("total", "concepto")}
    resp = await gw.client.post("/acme/recibo/create", json=no_total, headers=gw.auth())
    assert resp.status == 400
    assert {i["path"] for i in (await resp.json())["errores"]} == {"data.total", "data.concepto"}


async def test_catalogs_and_params(gw: Harness) -> None:
    deps = (await (await gw.client.get("/acme/departamentos", headers=gw.auth())).json())["result"]
    assert {"codigo": 1, "descripcion": "CAPITAL"} in deps
    dists = (await (await gw.client.get("/acme/distritos/1", headers=gw.auth())).json())["result"]
    assert dists and all(d["departamento"]["codigo"] == 1 for d in dists)
    cities = await (await gw.client.get("/acme/ciudades/NULL?nombre=asuncion", headers=gw.auth())).json()
    assert any(c["descripcion"].startswith("ASUNCION") for c in cities["result"])
    params = (await (await gw.client.get("/acme/system/backend/params", headers=gw.auth())).json())["result"]
    assert params["params"]["ruc"] == "80069563-1" and params["configSetApi"]["errorLimit"] == 3


async def test_body_too_large_is_413() -> None:
    h = await make_harness(max_body_bytes=1000)
    try:
        resp = await h.client.post("/acme/de/create", data=b"{" + b" " * 2000 + b"}", headers=h.auth())
        assert resp.status == 413
        assert (await resp.json())["code"] == "CUERPO_DEMASIADO_GRANDE"
    finally:
        await h.client.close()


async def test_rate_limit_per_key_is_429() -> None:
    h = await make_harness(rate_limit_per_second=0.001, rate_limit_burst=2)
    try:
        codes = [(await h.client.get("/acme/test", headers=h.auth())).status for _ in range(3)]
        assert codes == [200, 200, 429]
        other = await h.client.get("/otra/test", headers=h.auth(h.other_token))
        assert other.status == 200  # buckets are per key
    finally:
        await h.client.close()


async def test_unknown_route_and_method_use_envelope(gw: Harness) -> None:
    resp = await gw.client.get("/acme/no/such/thing")
    assert resp.status == 404 and (await resp.json())["success"] is False
    resp = await gw.client.delete("/test")
    assert resp.status == 405 and (await resp.json())["code"] == "METODO_NO_PERMITIDO"


async def test_openapi_and_docs(gw: Harness) -> None:
    spec = await (await gw.client.get("/openapi.json")).json()
    assert spec["openapi"] == "3.1.0"
    assert "post" in spec["paths"]["/{tenant}/lote/create"]
    assert "/invoicing/emit/{kind}" in spec["paths"]
    body = spec["paths"]["/{tenant}/de/create"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/Documento"}
    refs = set(re.findall(r"#/components/schemas/(\w+)", json.dumps(spec)))
    assert refs and refs <= set(spec["components"]["schemas"])  # every $ref resolves
    page = await (await gw.client.get("/docs")).text()
    assert "/{tenant}/de/create" in page


async def test_bulk_splits_by_type_into_lotes_of_50(gw: Harness) -> None:
    nc = factura(
        tipoDocumento=5, notaCreditoDebito={"motivo": 2}, documentoAsociado={"formato": 1, "cdc": "0" * 44}
    )
    lines = [json.dumps(factura()) for _ in range(120)] + [json.dumps(nc) for _ in range(3)]
    lines.insert(5, "{broken")
    bad = factura()
    bad["items"] = []
    lines.append(json.dumps(bad))
    resp = await gw.client.post("/acme/bulk", data="\n".join(lines).encode(), headers=gw.auth())
    assert resp.status == 202
    batch_id = (await resp.json())["batchId"]

    async def completed() -> dict[str, Any]:
        status = await (await gw.client.get(f"/acme/bulk/{batch_id}", headers=gw.auth())).json()
        assert status["status"] == "completado"
        return dict(status)

    status = await eventually(completed)
    assert status["total"] == 125 and status["accepted"] == 123 and status["failed"] == 2
    assert {e["line"] for e in status["errors"]} == {6, 125}
    sizes = sorted(len([d for d in gw.intake.docs if d.lote_id == lote]) for lote in status["loteIds"])
    assert sizes == [3, 20, 50, 50]
    assert (await gw.client.get(f"/acme/bulk/{batch_id}", headers=gw.auth(gw.other_token))).status == 404


async def test_admin_api_requires_master_key_and_manages_keys(gw: Harness) -> None:
    admin = {"Authorization": f"Bearer {MASTER}"}
    assert (
        await gw.client.post("/admin/tenants", json=tenant_body("nueva"), headers=gw.auth())
    ).status == 401
    resp = await gw.client.post("/admin/tenants", json=tenant_body("nueva"), headers=admin)
    assert resp.status == 201
    tenant = (await resp.json())["result"]
    assert tenant["hasCsc"] is True and "csc" not in tenant
    dup = await gw.client.post("/admin/tenants", json=tenant_body("nueva"), headers=admin)
    assert dup.status == 409
    key = await (
        await gw.client.post(
            f"/admin/tenants/{tenant['id']}/apikeys", json={"role": "lectura"}, headers=admin
        )
    ).json()
    token = key["result"]["token"]
    assert token.startswith("api_key_")
    assert (await gw.client.get("/nueva/test", headers=gw.auth(token))).status == 200
    shown = await (await gw.client.get("/admin/tenants/nueva", headers=admin)).json()
    assert "token" not in json.dumps(shown["result"]["apiKeys"])
    assert (await gw.client.delete(f"/admin/apikeys/{key['result']['id']}", headers=admin)).status == 200
    assert (await gw.client.get("/nueva/test", headers=gw.auth(token))).status == 401


async def test_admin_rejects_invalid_tenant_with_paths(gw: Harness) -> None:
    body = tenant_body("x")
    body["params"]["ruc"] = "123"
    resp = await gw.client.post("/admin/tenants", json=body, headers={"Authorization": f"Bearer {MASTER}"})
    assert resp.status == 400
    paths = {i["path"] for i in (await resp.json())["errores"]}
    assert {"slug", "params.ruc"} <= paths


async def test_correlation_id_is_echoed(gw: Harness) -> None:
    cid = "6c0f6a39-7f39-4a54-9f3b-3f3a2d1c0b11"
    resp = await gw.client.post(
        "/acme/de/create", json=factura(), headers={**gw.auth(), "X-Correlation-Id": cid}
    )
    assert resp.headers["X-Correlation-Id"] == cid
    fresh = await gw.client.get("/healthz")
    assert fresh.status == 200 and len(fresh.headers["X-Correlation-Id"]) == 36


async def test_unexpected_failures_never_leak_a_traceback(gw: Harness) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret internals /srv/app.py line 42")

    async def down(*_: object, **__: object) -> None:
        raise ConnectionRefusedError("db down")

    gw.intake.accept = broken  # type: ignore[method-assign]
    resp = await gw.client.post("/acme/de/create", json=factura(), headers=gw.auth())
    text = await resp.text()
    assert resp.status == 500 and "Traceback" not in text and "secret internals" not in text
    assert (await resp.json())["code"] == "ERROR_INTERNO"
    gw.intake.accept = down  # type: ignore[method-assign]
    resp = await gw.client.post("/acme/de/create", json=factura(), headers=gw.auth())
    assert resp.status == 503 and resp.headers["Retry-After"] == "5"


async def test_bulk_reports_a_taken_number_and_accepts_the_rest(gw: Harness) -> None:
    await gw.client.post("/acme/de/create", json=factura(numero=5), headers=gw.auth())
    lines = [json.dumps(factura()) for _ in range(3)] + [json.dumps(factura(numero=5, observacion="otro"))]
    resp = await gw.client.post("/acme/bulk", data="\n".join(lines).encode(), headers=gw.auth())
    batch_id = (await resp.json())["batchId"]

    async def completed() -> dict[str, Any]:
        status = await (await gw.client.get(f"/acme/bulk/{batch_id}", headers=gw.auth())).json()
        assert status["status"] == "completado"
        return dict(status)

    status = await eventually(completed)
    assert status["accepted"] == 3 and status["failed"] == 1
    assert status["errors"] == [
        {
            "line": 4,
            "code": "NUMERO_YA_UTILIZADO",
            "path": "data.numero",
            "message": status["errors"][0]["message"],
        }
    ]


async def test_metrics_by_route_template(gw: Harness) -> None:
    await gw.client.post("/acme/lote/create", json=[factura()] * 2, headers=gw.auth())
    await gw.client.get("/acme/test")  # 401
    text = await (await gw.client.get("/metrics")).text()
    assert (
        'sifenflow_http_requests_total{method="POST",route="/{tenant}/lote/create",status="200"} 1.0' in text
    )
    assert 'route="/{tenant}/test",status="401"' in text
    assert 'sifenflow_documents_accepted_total{tipo="1"} 2.0' in text
    assert "acme" not in text  # no tenant in labels


async def test_idempotency_keys_are_purged_after_their_ttl_and_kept_when_ttl_is_zero() -> None:
    # Nothing else ever deletes gateway_idempotency rows: the gateway forgets keys older than
    # IDEMPOTENCY_TTL_HOURS (default 24 h), checking at start-up and then every hour.
    h = await make_harness(idempotency_ttl_hours=6)
    try:
        await eventually(lambda: h.intake.purges == [timedelta(hours=6)])
    finally:
        await h.client.close()
    keep = await make_harness(idempotency_ttl_hours=0)
    try:
        await asyncio.sleep(0.05)
        assert keep.intake.purges == []
    finally:
        await keep.client.close()
