"""The gateway over real HTTP on the real PostgreSQL: numbering, idempotency, isolation, admin."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from sifenflow_common.tenants.model import Role
from sifenflow_common.testing.eventually import eventually
from sifenflow_gateway import acceptance
from sifenflow_gateway.app import create_app, postgres_deps
from sifenflow_gateway.handlers import bulk
from sifenflow_gateway.model import BulkBatch
from sifenflow_gateway.normalize import content_hash
from tests.integration.gateway.conftest import MASTER, LiveGateway, bearer, gw_settings
from tests.unit.gateway.samples import factura, make_p12, tenant_body, unique_ruc

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def test_validation_error_is_400_with_field_path(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    doc = factura()
    doc["cliente"]["ruc"] = "80069563-7"  # DV must be 1 (module 11, MT v150 D207)
    resp = await live.client.post(f"/{tenant.slug}/de/create", json=doc, headers=bearer(token))
    assert resp.status == 400
    body = await resp.json()
    assert body["success"] is False
    assert body["errores"][0]["path"] == "data.cliente.ruc"
    count = await live.pool.fetchval("SELECT count(*) FROM gateway_documents WHERE tenant_id = $1", tenant.id)
    assert count == 0


async def test_fifty_concurrent_creates_get_numbers_1_to_50_exactly_once(live: LiveGateway) -> None:
    # MT v150 C007 dNumDoc: consecutive per timbrado/establecimiento/punto/tipo, no gaps, no reuse
    tenant, token = await live.tenant()

    async def create() -> str:
        resp = await live.client.post(f"/{tenant.slug}/de/create", json=factura(), headers=bearer(token))
        assert resp.status == 200, await resp.text()
        return str((await resp.json())["deList"][0]["numero"])

    numbers = await asyncio.gather(*(create() for _ in range(50)))
    assert sorted(numbers) == [f"001-001-{n:07d}" for n in range(1, 51)]
    rows = await live.pool.fetch(
        "SELECT numero FROM document_numbers WHERE tenant_id = $1 ORDER BY numero", tenant.id
    )
    assert [r["numero"] for r in rows] == list(range(1, 51))


async def test_failed_lote_gives_its_numbers_back(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    await live.client.post(f"/{tenant.slug}/de/create", json=factura(numero=3), headers=bearer(token))
    # the lote allocates 4, 5 then hits the reused number 3 with other content: all rolled back
    clash = factura(numero=3, observacion="distinto")
    resp = await live.client.post(
        f"/{tenant.slug}/lote/create", json=[factura(), factura(), clash], headers=bearer(token)
    )
    assert resp.status == 409
    assert (await resp.json())["errores"][0]["path"] == "[2].numero"
    nxt = await (
        await live.client.post(f"/{tenant.slug}/de/create", json=factura(), headers=bearer(token))
    ).json()
    assert nxt["deList"][0]["numero"] == "001-001-0000004"


async def test_idempotency_key_retry_returns_same_cdc(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    headers = {**bearer(token), "Idempotency-Key": f"k-{uuid.uuid4()}"}
    url = f"/{tenant.slug}/lote/create"
    results = await asyncio.gather(
        *(live.client.post(url, json=[factura()] * 2, headers=headers) for _ in range(5))
    )
    bodies = [await r.json() for r in results]
    cdcs = {tuple(d["cdc"] for d in b["deList"]) for b in bodies}
    assert len(cdcs) == 1 and len({b["loteId"] for b in bodies}) == 1
    count = await live.pool.fetchval("SELECT count(*) FROM gateway_documents WHERE tenant_id = $1", tenant.id)
    assert count == 2


async def test_cross_tenant_read_is_404(live: LiveGateway) -> None:
    a, token_a = await live.tenant()
    b, token_b = await live.tenant()
    body = await (
        await live.client.post(f"/{a.slug}/de/create", json=factura(), headers=bearer(token_a))
    ).json()
    cdc, doc_id = body["deList"][0]["cdc"], body["deList"][0]["id"]
    assert (await live.client.get(f"/{a.slug}/de/cdc/{cdc}", headers=bearer(token_b))).status == 404
    assert (await live.client.get(f"/{b.slug}/de/cdc/{cdc}", headers=bearer(token_b))).status == 404
    assert (await live.client.get(f"/{b.slug}/de/id/{doc_id}", headers=bearer(token_b))).status == 404
    own = await live.client.get(f"/{a.slug}/de/cdc/{cdc}", headers=bearer(token_a))
    assert (await own.json())["result"]["id"] == doc_id


async def test_revoked_and_lectura_keys(live: LiveGateway) -> None:
    tenant, token = await live.tenant(role=Role.LECTURA)
    resp = await live.client.post(f"/{tenant.slug}/de/create", json=factura(), headers=bearer(token))
    assert resp.status == 403
    record = (await live.keys.list_for_tenant(tenant.id))[0]
    await live.keys.revoke(record.id)
    assert (await live.client.get(f"/{tenant.slug}/test", headers=bearer(token))).status == 401


async def test_admin_api_and_encrypted_secrets(live: LiveGateway) -> None:
    admin = bearer(MASTER)
    slug = f"adm{uuid.uuid4().hex[:8]}"
    ruc = unique_ruc()
    resp = await live.client.post(
        "/admin/tenants", json=tenant_body(slug, with_cert=True, ruc=ruc), headers=admin
    )
    assert resp.status == 201, await resp.text()
    tenant = (await resp.json())["result"]
    assert tenant["hasCertificate"] is True and tenant["certificateNotAfter"]
    row = await live.pool.fetchrow("SELECT * FROM tenants WHERE slug = $1", slug)
    stored = json.dumps({k: str(v) for k, v in dict(row).items()})
    assert "s3creto" not in stored and "ABCD0000" not in stored  # password and CSC only sealed
    secrets = await live.tenants.load_secrets(uuid.UUID(tenant["id"]))
    assert secrets.certificate_password == "s3creto" and secrets.csc == "ABCD0000000000000000000000000000"
    assert "s3creto" not in repr(secrets)
    key = await live.client.post(f"/admin/tenants/{slug}/apikeys", json={"role": "emisor"}, headers=admin)
    token = (await key.json())["result"]["token"]
    hashed = await live.pool.fetchval("SELECT token_hash FROM api_keys WHERE tenant_id = $1", row["id"])
    assert token not in hashed
    created = await live.client.post(f"/{slug}/de/create", json=factura(), headers=bearer(token))
    assert created.status == 200
    renewed = {
        "certificate": base64.b64encode(make_p12(ruc, "otra")).decode(),
        "certificatePassword": "otra",
    }
    resp = await live.client.put(f"/admin/tenants/{slug}/certificate", json=renewed, headers=admin)
    assert resp.status == 200, await resp.text()
    assert (await live.tenants.load_secrets(uuid.UUID(tenant["id"]))).certificate_password == "otra"
    foreign = {
        "certificate": base64.b64encode(make_p12("80012345-6", "x")).decode(),
        "certificatePassword": "x",
    }
    resp = await live.client.put(f"/admin/tenants/{slug}/certificate", json=foreign, headers=admin)
    assert resp.status == 400 and (await resp.json())["code"] == "CERTIFICADO_RUC_NO_COINCIDE"


async def test_draft_then_confirm(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    url = f"/{tenant.slug}/lote/create?draft=true"
    body = await (await live.client.post(url, json=[factura()], headers=bearer(token))).json()
    assert body["deList"][0]["situacion"] == -1
    lote = body["loteId"]
    confirmed = await live.client.post(f"/{tenant.slug}/lote/draft-confirm/{lote}", headers=bearer(token))
    assert (await confirmed.json())["deList"][0]["situacion"] == 0
    again = await live.client.post(f"/{tenant.slug}/lote/draft-reject/{lote}", headers=bearer(token))
    assert again.status == 404


async def test_bulk_over_http(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    ndjson = "\n".join(json.dumps(factura()) for _ in range(120)).encode()
    resp = await live.client.post(f"/{tenant.slug}/bulk", data=ndjson, headers=bearer(token))
    assert resp.status == 202
    batch = (await resp.json())["batchId"]

    async def completed() -> dict[str, Any]:
        status = await (await live.client.get(f"/{tenant.slug}/bulk/{batch}", headers=bearer(token))).json()
        assert status["status"] == "completado"
        return dict(status)

    status = await eventually(completed, timeout=30)
    assert status["accepted"] == 120
    sizes = await live.pool.fetch(
        "SELECT count(*) AS n FROM gateway_documents WHERE tenant_id = $1 GROUP BY lote_id ORDER BY n",
        tenant.id,
    )
    assert [r["n"] for r in sizes] == [20, 50, 50]
    numbers = await live.pool.fetch(
        "SELECT numero FROM gateway_documents WHERE tenant_id = $1 ORDER BY numero", tenant.id
    )
    assert [r["numero"] for r in numbers] == list(range(1, 121))


async def test_invoicing_emits_all_four_types(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    companies = await (await live.client.get("/invoicing/companies", headers=bearer(token))).json()
    assert companies == [
        {
            "id": tenant.slug,
            "name": tenant.nombre,
            "ruc": tenant.params["ruc"],
            "business_name": tenant.params["razonSocial"],
        }
    ]
    cliente = {"ruc": "80069563-1", "razonSocial": "Cliente SA", "tipoContribuyente": 2, "tipoOperacion": 1}
    item = {"codigo": "A", "descripcion": "X", "cantidad": 1, "precioUnitario": 11000, "ivaTipo": 10}
    invoice = await live.client.post(
        f"/invoicing/emit/invoice?company_id={tenant.slug}",
        json={"cliente": cliente, "items": [item]},
        headers=bearer(token),
    )
    assert invoice.status == 200, await invoice.text()
    first = await invoice.json()
    assert first["cdc"].startswith("01") and "ns2:rRetEnviDe" in first
    note = {
        "cliente": cliente,
        "items": [item],
        "motivo": 1,
        "documentoAsociado": {"cdc": first["cdc"], "tipo": 1},
    }
    for kind, prefix in (("credit-note", "05"), ("debit-note", "06")):
        resp = await live.client.post(
            f"/invoicing/emit/{kind}?company_id={tenant.slug}", json=note, headers=bearer(token)
        )
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["cdc"].startswith(prefix)
    remision: dict[str, Any] = {
        "cliente": dict(cliente, direccion="Ruta 2", numeroCasa="10", departamento=1, distrito=1, ciudad=1),
        "items": [{"codigo": "A", "descripcion": "X", "cantidad": 3}],
    }
    url = f"/invoicing/emit/remision?company_id={tenant.slug}"
    missing = await (await live.client.post(url, json=remision, headers=bearer(token))).json()
    # MT v150 E505 dKmR is required for a nota de remisión; the path is that of the simple body
    assert "remision.kms" in {i["path"] for i in missing["errores"]}
    remision["remision"] = {"kms": 12}
    remision["transporte"] = REMISION_TRANSPORTE
    resp = await live.client.post(url, json=remision, headers=bearer(token))
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["cdc"].startswith("07")
    other, _ = await live.tenant()
    resp = await live.client.post(
        f"/invoicing/emit/invoice?company_id={other.slug}", json={}, headers=bearer(token)
    )
    assert resp.status == 404


async def test_bulk_left_unfinished_is_resumed_without_duplicates(live: LiveGateway) -> None:
    """A gateway stopped mid-batch: the next one resumes from the stored NDJSON; the lote accepted
    before the stop is answered by its Idempotency-Key, not accepted twice."""
    tenant, _ = await live.tenant()
    settings = gw_settings()
    deps = postgres_deps(live.pool, settings)
    lines = [json.dumps(factura()) for _ in range(70)]
    raw = "\n".join(lines).encode()
    docs, _ = bulk.parse_ndjson(raw, 10_000)
    batch = BulkBatch(
        id=uuid.uuid4(), tenant_id=tenant.id, status="procesando", total=70,
        source_sha256=await deps.intake.put_source(raw),
    )  # fmt: skip
    await deps.intake.save_bulk(batch)
    # the first lote (50) was accepted before the stop
    first = _prepared(deps, tenant, bulk.chunks_by_type(docs, 50)[0])
    await acceptance.accept(
        deps, tenant, first, idem_key=f"bulk:{batch.id}:0",
        request_hash=content_hash([p.content_hash for p in first]),
    )  # fmt: skip
    app = create_app(gw_settings(resume_bulk_on_start=True), deps)
    client: TestClient[Any, Any] = TestClient(TestServer(app))
    await client.start_server()
    try:

        async def completed() -> BulkBatch:
            done = await deps.intake.bulk(tenant.id, batch.id)
            assert done is not None and done.status == "completado"
            return done

        done = await eventually(completed, timeout=30)
        assert done.accepted == 70
        assert done.failed == 0 and done.errors == []
        count = await live.pool.fetchval(
            "SELECT count(*) FROM gateway_documents WHERE tenant_id = $1", tenant.id
        )
        assert count == 70
        numbers = await live.pool.fetch(
            "SELECT numero FROM gateway_documents WHERE tenant_id = $1 ORDER BY numero", tenant.id
        )
        assert [r["numero"] for r in numbers] == list(range(1, 71))  # no gap, no repeat
    finally:
        await client.close()


def _prepared(deps: Any, tenant: Any, docs: list[tuple[int, Any]]) -> list[Any]:
    return acceptance.prepare(deps, tenant, [body for _, body in docs]).pending


REMISION_TRANSPORTE: dict[str, Any] = {
    "tipo": 1,
    "modalidad": 1,
    "tipoResponsable": 1,
    "inicioEstimadoTranslado": "2026-11-20",
    "finEstimadoTranslado": "2026-11-21",
    "salida": {"direccion": "Depósito", "numeroCasa": "10", "departamento": 1, "ciudad": 1},
    "entrega": {"direccion": "Sucursal", "numeroCasa": "20", "departamento": 1, "ciudad": 1},
    "vehiculo": {"tipo": "Camión", "marca": "Volvo", "documentoTipo": 2, "numeroMatricula": "ABC123"},
    "transportista": {
        "contribuyente": True,
        "nombre": "Transportes SA",
        "ruc": "80069563-1",
        "direccion": "Ruta 1",
        "chofer": {"documentoNumero": "2345678", "nombre": "Carlos", "direccion": "San Lorenzo"},
    },
}
