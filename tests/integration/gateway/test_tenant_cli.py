"""`sifenflow tenant create|show` and `sifenflow apikey create|revoke` on the real PostgreSQL."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from sifenflow_cli.main import cli
from sifenflow_common.tenants.apikeys import hash_token
from tests.integration.gateway.conftest import MASTER
from tests.unit.gateway.samples import make_p12, tenant_body, unique_ruc

pytestmark = pytest.mark.integration


@pytest.fixture
def runner(gw_dsn: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", gw_dsn)
    monkeypatch.setenv("MASTER_KEY", MASTER)
    return CliRunner()


def test_tenant_and_apikey_lifecycle(runner: CliRunner, tmp_path: Path) -> None:
    slug = f"cli{uuid.uuid4().hex[:8]}"
    definition = tmp_path / "tenant.json"
    ruc = unique_ruc()
    definition.write_text(json.dumps(tenant_body(slug, ruc=ruc)), encoding="utf-8")
    cert = tmp_path / "empresa.p12"
    cert.write_bytes(make_p12(ruc, "clave"))
    result = runner.invoke(
        cli,
        ["tenant", "create", str(definition), "--certificate", str(cert), "--certificate-password", "clave",
         "--api-key-role", "admin"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["slug"] == slug and created["hasCertificate"] is True
    token = created["apiKey"]["token"]
    assert token.startswith("api_key_")

    shown = runner.invoke(cli, ["tenant", "show", slug])
    assert shown.exit_code == 0
    assert token not in shown.output and hash_token(token) not in shown.output  # shown once only
    assert json.loads(shown.output)["apiKeys"][0]["role"] == "admin"

    key = runner.invoke(cli, ["apikey", "create", "--tenant", slug, "--role", "lectura"])
    assert key.exit_code == 0
    key_id = json.loads(key.output)["id"]
    revoked = runner.invoke(cli, ["apikey", "revoke", key_id])
    assert revoked.exit_code == 0 and json.loads(revoked.output)["revokedAt"]

    renewed = tmp_path / "renovado.p12"
    renewed.write_bytes(make_p12(ruc, "nueva"))
    args = ["tenant", "set-certificate", slug, str(renewed), "--certificate-password", "nueva"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    wrong = tmp_path / "ajeno.p12"
    wrong.write_bytes(make_p12("80012345-6", "x"))
    result = runner.invoke(
        cli, ["tenant", "set-certificate", slug, str(wrong), "--certificate-password", "x"]
    )
    assert result.exit_code == 2 and "CERTIFICADO_RUC_NO_COINCIDE" in result.output

    again = runner.invoke(cli, ["tenant", "create", str(definition)])
    assert again.exit_code == 1 and "EMPRESA_YA_EXISTE" in again.output


def test_invalid_definition_reports_paths(runner: CliRunner, tmp_path: Path) -> None:
    body = tenant_body("ok-slug")
    body["params"]["ruc"] = "80069563-0"
    definition = tmp_path / "bad.json"
    definition.write_text(json.dumps(body), encoding="utf-8")
    result = runner.invoke(cli, ["tenant", "create", str(definition)])
    assert result.exit_code == 2
    assert json.loads(result.output)["errores"][0]["path"] == "params.ruc"


def test_certificate_of_another_ruc_refused(runner: CliRunner, tmp_path: Path) -> None:
    definition = tmp_path / "tenant.json"
    definition.write_text(
        json.dumps(tenant_body(f"c{uuid.uuid4().hex[:8]}", ruc=unique_ruc())), encoding="utf-8"
    )
    cert = tmp_path / "otra.p12"
    cert.write_bytes(make_p12("80012345-6", "x"))
    result = runner.invoke(
        cli, ["tenant", "create", str(definition), "--certificate", str(cert), "--certificate-password", "x"]
    )
    assert result.exit_code == 2 and "CERTIFICADO_RUC_NO_COINCIDE" in result.output
