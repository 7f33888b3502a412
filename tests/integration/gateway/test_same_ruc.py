"""Two companies with one RUC in one environment are refused (SIFEN numbers per RUC, timbrado,
establecimiento and punto: they would issue the same CDCs), through the admin API and the CLI."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from sifenflow_cli.main import cli
from tests.integration.gateway.conftest import MASTER, LiveGateway, bearer
from tests.unit.gateway.samples import factura, tenant_body, unique_ruc

pytestmark = pytest.mark.integration


def _slug() -> str:
    return f"r{uuid.uuid4().hex[:10]}"


@pytest.mark.asyncio(loop_scope="session")
async def test_admin_api_refuses_a_second_company_with_the_same_ruc(live: LiveGateway) -> None:
    ruc = unique_ruc()
    first = await live.client.post(
        "/admin/tenants", json=tenant_body(_slug(), ruc=ruc), headers=bearer(MASTER)
    )
    assert first.status == 201, await first.text()

    again = tenant_body(_slug(), ruc=ruc)
    resp = await live.client.post("/admin/tenants", json=again, headers=bearer(MASTER))
    assert resp.status == 409
    body = await resp.json()
    assert body["code"] == "RUC_YA_REGISTRADO" and body["errores"][0]["path"] == "params.ruc"
    assert f"Ya existe una empresa con el RUC {ruc} en el ambiente simulado" in body["error"]
    assert await live.pool.fetchval("SELECT count(*) FROM tenants WHERE slug = $1", again["slug"]) == 0

    production = dict(tenant_body(_slug(), ruc=ruc), environment="produccion")  # another environment
    resp = await live.client.post("/admin/tenants", json=production, headers=bearer(MASTER))
    assert resp.status == 201, await resp.text()


def test_cli_refuses_a_second_company_with_the_same_ruc(
    gw_dsn: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", gw_dsn)
    monkeypatch.setenv("MASTER_KEY", MASTER)
    runner = CliRunner()
    ruc = unique_ruc()
    for n, expected in ((1, 0), (2, 1)):
        definition = tmp_path / f"empresa{n}.json"
        definition.write_text(json.dumps(tenant_body(_slug(), ruc=ruc)), encoding="utf-8")
        result = runner.invoke(cli, ["tenant", "create", str(definition)])
        assert result.exit_code == expected, result.output
    error = json.loads(result.stderr)["errores"][0]
    assert (error["code"], error["path"]) == ("RUC_YA_REGISTRADO", "params.ruc")


@pytest.mark.asyncio(loop_scope="session")
async def test_a_cdc_of_another_document_is_refused_before_numbering(live: LiveGateway) -> None:
    """Two companies that share a RUC from before the refusal existed: the second one's document
    would get the first one's CDC. It is refused (409) and its number stays free."""
    first, first_token = await live.tenant()
    second, second_token = await live.tenant()
    await live.pool.execute(
        "UPDATE tenants SET params = jsonb_set(params, '{ruc}', to_jsonb($2::text)) WHERE id = $1",
        second.id,
        first.params["ruc"],
    )
    same = factura(codigoSeguridadAleatorio="123456789")
    ok = await live.client.post(f"/{first.slug}/de/create", json=same, headers=bearer(first_token))
    assert ok.status == 200, await ok.text()
    cdc = (await ok.json())["deList"][0]["cdc"]

    refused = await live.client.post(f"/{second.slug}/de/create", json=same, headers=bearer(second_token))
    assert refused.status == 409
    body = await refused.json()
    assert body["code"] == "CDC_YA_UTILIZADO" and cdc in body["error"]
    count = "SELECT count(*) FROM gateway_documents WHERE tenant_id = $1"
    assert await live.pool.fetchval(count, second.id) == 0
    events = "SELECT count(*) FROM events WHERE tenant_id = $1"
    assert await live.pool.fetchval(events, second.id) == 0

    other = await live.client.post(f"/{second.slug}/de/create", json=factura(), headers=bearer(second_token))
    assert other.status == 200, await other.text()
    assert (await other.json())["deList"][0]["numero"].endswith("0000001")  # no gap
