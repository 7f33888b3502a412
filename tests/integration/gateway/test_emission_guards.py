"""No "success" that is not one, over real HTTP on real PostgreSQL: a company that cannot sign, a
timbrado outside its validity, an establecimiento or punto the company does not have are refused
before a number is used; no endpoint serves the XML of a document that is not signed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from sifenflow_common.artifacts import MEDIA_XML, PostgresArtifactStore
from sifenflow_common.messages.events import DocumentBuilt, DocumentSigningFailed
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Role, Tenant
from tests.integration.gateway.conftest import LiveGateway, bearer
from tests.integration.gateway.test_pipeline_adapters import _append, _document_id, _project
from tests.unit.gateway.samples import factura, make_p12, tenant_body, unique_ruc

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

RECIBO: dict[str, Any] = {
    "establecimiento": "001",
    "punto": "001",
    "concepto": "Pago de la cuota 1",
    "total": 100000,
    "moneda": "PYG",
    "cliente": {"contribuyente": False, "razonSocial": "Juan Perez", "tipoOperacion": 2,
                "documentoTipo": 1, "documentoNumero": "1234567", "pais": "PRY", "codigo": "001"},
    "condicion": {"tipo": 1, "entregas": [{"tipo": 1, "monto": 100000, "moneda": "PYG"}]},
}  # fmt: skip
INVOICE: dict[str, Any] = {
    "cliente": {"ruc": "80069563-1", "razonSocial": "Cliente SA", "tipoContribuyente": 2,
                "tipoOperacion": 1},
    "items": [{"codigo": "A1", "descripcion": "Servicio", "cantidad": 1, "precioUnitario": 110000,
               "ivaTipo": 10}],
    "condicion": {"tipo": 1, "entregas": [{"tipo": 1, "monto": 110000, "moneda": "PYG"}]},
}  # fmt: skip


async def _tenant(live: LiveGateway, **body: Any) -> tuple[Tenant, str]:
    slug = f"g{uuid.uuid4().hex[:10]}"
    data, issues = parse_tenant_input({**tenant_body(slug, with_cert=False, ruc=unique_ruc()), **body})
    assert data is not None, issues
    tenant = await live.tenants.create(data)
    _, token = await live.keys.create(tenant.id, Role.ADMIN, "test")
    return tenant, token


async def _numbers_used(live: LiveGateway, tenant: Tenant) -> int:
    counters = await live.pool.fetchval(
        "SELECT count(*) FROM numbering_counters WHERE tenant_id = $1", tenant.id
    )
    numbers = await live.pool.fetchval(
        "SELECT count(*) FROM document_numbers WHERE tenant_id = $1", tenant.id
    )
    return int(counters) + int(numbers)


async def test_company_without_certificate_gets_409_before_any_number(live: LiveGateway) -> None:
    tenant, token = await _tenant(live)
    assert tenant.has_certificate is False
    auth = bearer(token)
    attempts = [
        live.client.post(f"/{tenant.slug}/de/create", json=factura(), headers=auth),
        live.client.post(f"/{tenant.slug}/lote/create", json=[factura()], headers=auth),
        live.client.post(f"/{tenant.slug}/lote/create?draft=true", json=[factura()], headers=auth),
        live.client.post(f"/{tenant.slug}/recibo/create", json=RECIBO, headers=auth),
        live.client.post(f"/invoicing/emit/invoice?company_id={tenant.slug}", json=INVOICE, headers=auth),
        live.client.post(
            f"/{tenant.slug}/bulk",
            data=b'{"tipoDocumento": 1}\n',
            headers={**auth, "Content-Type": "application/x-ndjson"},
        ),
    ]
    for attempt in attempts:
        resp = await attempt
        body = await resp.json()
        assert resp.status == 409, body
        assert body["success"] is False and body["code"] == "CERTIFICADO_FALTANTE"
        assert "certificado" in body["error"]
    assert await _numbers_used(live, tenant) == 0
    assert (
        await live.pool.fetchval("SELECT count(*) FROM gateway_documents WHERE tenant_id = $1", tenant.id)
        == 0
    )
    # once the company has its certificate, the series starts at its first number: none was burnt
    await live.tenants.replace_certificate(tenant.id, make_p12(tenant.ruc, "clave"), "clave")
    resp = await live.client.post(f"/{tenant.slug}/de/create", json=factura(), headers=auth)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["deList"][0]["numero"] == "001-001-0000001"


@pytest.mark.parametrize(
    ("tenant_extra", "doc", "code", "path"),
    [
        (
            {"timbradoFechaFin": "2026-06-30"},
            {"fecha": "2026-07-01T08:00:00"},
            "TIMBRADO_VENCIDO",
            "data.fecha",
        ),
        ({}, {"fecha": "2022-08-24T23:59:59"}, "FECHA_ANTERIOR_TIMBRADO", "data.fecha"),
        ({}, {"establecimiento": "002"}, "ESTABLECIMIENTO_NO_HABILITADO", "data.establecimiento"),
        ({}, {"punto": "003"}, "PUNTO_NO_HABILITADO", "data.punto"),
        ({"puntos": {"001": ["001"]}}, {"punto": 2}, "PUNTO_NO_HABILITADO", "data.punto"),
    ],
)
async def test_what_sifen_would_reject_is_refused_before_numbering(
    live: LiveGateway, tenant_extra: dict[str, Any], doc: dict[str, Any], code: str, path: str
) -> None:
    slug = f"g{uuid.uuid4().hex[:10]}"
    data, issues = parse_tenant_input({**tenant_body(slug, ruc=unique_ruc()), **tenant_extra})
    assert data is not None, issues
    tenant = await live.tenants.create(data)
    _, token = await live.keys.create(tenant.id, Role.EMISOR, "test")
    for url, body in (
        (f"/{tenant.slug}/de/create", factura(**doc)),
        (f"/{tenant.slug}/lote/create", [factura(**doc)]),
    ):
        resp = await live.client.post(url, json=body, headers=bearer(token))
        answer = await resp.json()
        assert resp.status == 400, answer
        assert code in {e["code"] for e in answer["errores"]}
        assert path.removeprefix("data") in {
            e["path"].removeprefix("data").removeprefix("[0]") for e in answer["errores"]
        }
    assert await _numbers_used(live, tenant) == 0


async def test_timbrado_still_valid_on_its_last_day(live: LiveGateway) -> None:
    tenant, token = await _tenant(live, timbradoFechaFin="2026-11-20")
    await live.tenants.replace_certificate(tenant.id, make_p12(tenant.ruc, "clave"), "clave")
    resp = await live.client.post(f"/{tenant.slug}/de/create", json=factura(), headers=bearer(token))
    assert resp.status == 200, await resp.text()


async def test_unsigned_xml_is_never_served(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    auth = bearer(token)
    body = await (
        await live.client.post(f"/{tenant.slug}/lote/create", json=[factura()], headers=auth)
    ).json()
    cdc = body["deList"][0]["cdc"]
    document_id = await _document_id(live, cdc)
    unsigned = f'<rDE><DE Id="{cdc}"/><!-- unsigned --></rDE>'.encode()
    sha = await PostgresArtifactStore(live.pool).put(unsigned, MEDIA_XML)
    await _append(
        live, tenant.id, document_id, DocumentBuilt(document_id=document_id, cdc=cdc, xml_sha256=sha)
    )
    await _project(live, document_id, "built")
    await _assert_no_xml(live, tenant, auth, cdc)
    failed = DocumentSigningFailed(document_id=document_id, code="CERT_VENCIDO", message="vencido")
    await _append(live, tenant.id, document_id, failed)
    await _project(live, document_id, "signing_failed")
    await _assert_no_xml(live, tenant, auth, cdc)


async def _assert_no_xml(live: LiveGateway, tenant: Tenant, auth: dict[str, str], cdc: str) -> None:
    resp = await live.client.get(f"/{tenant.slug}/de/xml/{cdc}", headers=auth)
    assert resp.status == 409 and (await resp.json())["code"] == "XML_NO_DISPONIBLE"
    resp = await live.client.get(f"/{tenant.slug}/de/xml/{cdc}?json=true", headers=auth)
    assert resp.status == 409
    resp = await live.client.post(f"/{tenant.slug}/de/pdf", json={"cdcList": [{"cdc": cdc}]}, headers=auth)
    assert resp.status == 409 and (await resp.json())["code"] == "XML_NO_DISPONIBLE"
    resp = await live.client.get(f"/{tenant.slug}/de/kude/{cdc}", headers=auth)
    assert resp.status == 409 and (await resp.json())["code"] == "XML_NO_DISPONIBLE"
    estado = await live.client.post(
        f"/{tenant.slug}/de/estado", json={"cdcList": [{"cdc": cdc}]}, headers=auth
    )
    assert "<!-- unsigned -->" not in await estado.text()
    got = await live.client.get(f"/{tenant.slug}/de/cdc/{cdc}", headers=auth)
    assert "<!-- unsigned -->" not in await got.text()
