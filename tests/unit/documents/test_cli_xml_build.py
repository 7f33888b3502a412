"""``sifenflow xml build``: XML on stdout, issues as JSON on stderr with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sifenflow_cli.main import cli
from sifenflow_common.sifen.xsd import SCHEMA_RDE, schema_errors
from tests.unit.documents.conftest import with_placeholder_signature

pytestmark = pytest.mark.unit
FIXTURES = Path(__file__).parents[2] / "fixtures" / "documents"


def test_build_prints_unsigned_rde() -> None:
    result = CliRunner().invoke(cli, ["xml", "build", str(FIXTURES / "fe_contado.json")])
    assert result.exit_code == 0, result.output
    xml = result.stdout_bytes
    assert xml.startswith(b"<rDE ")
    assert schema_errors(with_placeholder_signature(xml), SCHEMA_RDE) == []


def test_build_writes_out_file(tmp_path: Path) -> None:
    out = tmp_path / "fe.xml"
    result = CliRunner().invoke(
        cli, ["xml", "build", str(FIXTURES / "nre_transporte.json"), "--out", str(out)]
    )
    assert result.exit_code == 0
    assert out.read_bytes().startswith(b"<rDE ")


@pytest.mark.parametrize(
    ("payload", "code", "path"),
    [
        (b"{no es json", "JSON_INVALIDO", "$"),
        (b"[1, 2]", "TIPO_INVALIDO", "$"),
        (b'{"data": {}}', "CAMPO_REQUERIDO", "params"),
        (b"\xff\xfe", "JSON_INVALIDO", "$"),
    ],
)
def test_invalid_input_exits_2_with_issues_on_stderr(payload: bytes, code: str, path: str) -> None:
    result = CliRunner().invoke(cli, ["xml", "build", "-"], input=payload)
    assert result.exit_code == 2
    issues = json.loads(result.stderr)
    assert {"code": code, "path": path} in [{"code": i["code"], "path": i["path"]} for i in issues]
    assert all(set(i) == {"code", "path", "message"} for i in issues)


def test_invalid_document_lists_every_issue() -> None:
    fx = json.loads((FIXTURES / "fe_contado.json").read_text(encoding="utf-8"))
    fx["params"]["ruc"] = "80069563-5"
    fx["data"]["items"][0]["unidadMedida"] = 1
    result = CliRunner().invoke(cli, ["xml", "build", "-"], input=json.dumps(fx))
    assert result.exit_code == 2
    found = {(i["code"], i["path"]) for i in json.loads(result.stderr)}
    assert {
        ("RUC_DV_INVALIDO", "params.ruc"),
        ("UNIDAD_MEDIDA_INVALIDA", "data.items[0].unidadMedida"),
    } <= found


def test_tolerated_input_builds_and_says_what_was_ignored_on_stderr() -> None:
    payload = json.loads((FIXTURES / "fe_contado.json").read_text(encoding="utf-8"))
    payload["data"]["observacion"] = ""
    payload["data"]["cliente"].update({"documentoTipo": 1, "documentoNumero": "2324234", "email": " "})
    result = CliRunner().invoke(cli, ["xml", "build", "-"], input=json.dumps(payload).encode())
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"<rDE ")
    assert "aviso CAMPO_IGNORADO data.cliente.documentoTipo" in result.stderr
    assert "aviso CAMPO_IGNORADO data.cliente.documentoNumero" in result.stderr
