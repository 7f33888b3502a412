"""CLI: ``sifenflow cert generate``, ``xml sign``, ``xml verify``, ``event build`` (issue 3 §5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from lxml import etree

from sifenflow_cli.main import cli
from sifenflow_common.sifen.certificates import load_pkcs12
from sifenflow_common.sifen.events import event_group
from sifenflow_common.sifen.qr import verify_qr
from sifenflow_common.sifen.signature import verify_rde
from sifenflow_common.sifen.xsd import SCHEMA_EVENT, SCHEMA_RDE, schema_errors
from tests.fixtures.signing.unsigned_rde import unsigned_rde
from tests.unit.signing.conftest import CSC, xmlsec1_verify
from tests.unit.signing.event_bodies import BODIES

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("cli")
    result = CliRunner().invoke(
        cli,
        [
            "cert", "generate", "--ruc", "80069563-1", "--name", "EMPRESA S.A.",
            "--out", str(directory / "cert.p12"), "--password", "PW", "--ca-dir", str(directory / "ca"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (directory / "u.xml").write_bytes(unsigned_rde())
    return directory


def test_cert_generate_makes_a_psc_like_p12_and_a_reusable_ca(workdir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    credentials = load_pkcs12((workdir / "cert.p12").read_bytes(), "PW")
    assert credentials.ruc == "80069563-1"
    assert "RUC80069563-1" in credentials.subject
    ca_pem = (workdir / "ca" / "ca.cert.pem").read_bytes()
    monkeypatch.setenv("SIFENFLOW_TEST_CA_DIR", str(workdir / "ca"))
    out = workdir / "second.p12"
    result = CliRunner().invoke(
        cli,
        [
            "cert",
            "generate",
            "--ruc",
            "80002201-7",
            "--name",
            "OTRA S.A.",
            "--out",
            str(out),
            "--password",
            "x",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (workdir / "ca" / "ca.cert.pem").read_bytes() == ca_pem  # same CA reused via env var
    issued = load_pkcs12(out.read_bytes(), "x")
    assert issued.ruc == "80002201-7"
    assert issued.chain == (x509.load_pem_x509_certificate(ca_pem),)


def test_cert_generate_rejects_bad_ruc_with_json_error(workdir: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["cert", "generate", "--ruc", "80069563-9", "--name", "X S.A.", "--out", str(workdir / "bad.p12"),
         "--password", "x", "--ca-dir", str(workdir / "ca")],
    )  # fmt: skip
    assert result.exit_code == 2
    (issue,) = json.loads(result.stderr)
    assert issue["code"] == "RUC_INVALIDO" and issue["path"] == "--ruc"


def test_xml_sign_then_verify(workdir: Path, xmlsec1: str, tmp_path: Path) -> None:
    runner = CliRunner()
    signed_path = workdir / "s.xml"
    result = runner.invoke(
        cli,
        ["xml", "sign", str(workdir / "u.xml"), "--p12", str(workdir / "cert.p12"), "--password", "PW",
         "--csc-id", "0001", "--csc", CSC, "--env", "test", "--out", str(signed_path)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    signed = signed_path.read_bytes()
    assert schema_errors(etree.fromstring(signed), SCHEMA_RDE) == []
    assert verify_rde(signed).ok and verify_qr(signed, CSC)
    assert xmlsec1_verify(xmlsec1, signed, tmp_path).returncode == 0

    ok = runner.invoke(
        cli, ["xml", "verify", str(signed_path), "--csc", CSC, "--ca", str(workdir / "ca" / "ca.cert.pem")]
    )
    assert ok.exit_code == 0, ok.output
    assert "FALLA" not in ok.output and "OK    qr" in ok.output and "Firma válida" in ok.output

    tampered = workdir / "t.xml"
    tampered.write_bytes(signed.replace(b"<dTotGralOpe>605000<", b"<dTotGralOpe>605001<"))
    bad = runner.invoke(cli, ["xml", "verify", str(tampered), "--json"])
    assert bad.exit_code == 1
    payload = json.loads(bad.output)
    assert payload["ok"] is False
    assert {c["name"]: c["ok"] for c in payload["checks"]}["digest"] is False


def test_xml_sign_wrong_password_and_corrupt_p12_are_json_errors(workdir: Path) -> None:
    runner = CliRunner()
    base = ["xml", "sign", str(workdir / "u.xml"), "--csc-id", "0001", "--csc", CSC]
    wrong = runner.invoke(cli, [*base, "--p12", str(workdir / "cert.p12"), "--password", "nope"])
    assert wrong.exit_code == 2 and json.loads(wrong.stderr)[0]["code"] == "CERT_PASSWORD_INCORRECTA"
    corrupt = workdir / "corrupt.p12"
    corrupt.write_bytes((workdir / "cert.p12").read_bytes()[:100])
    broken = runner.invoke(cli, [*base, "--p12", str(corrupt), "--password", "PW"])
    assert broken.exit_code == 2 and json.loads(broken.stderr)[0]["code"] == "CERT_PKCS12_INVALIDO"
    assert "Traceback" not in wrong.output + broken.output


def test_event_build_signs_a_valid_request(workdir: Path, xmlsec1: str, tmp_path: Path) -> None:
    request_json = workdir / "ev.json"
    request_json.write_text(
        json.dumps(
            {
                "dId": 9,
                "eventos": [
                    {"tipo": k, "id": i + 1, "data": BODIES[k]} for i, k in enumerate(sorted(BODIES))
                ],
            }
        )
    )
    out = workdir / "ev.xml"
    result = CliRunner().invoke(
        cli,
        [
            "event",
            "build",
            str(request_json),
            "--p12",
            str(workdir / "cert.p12"),
            "--password",
            "PW",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert schema_errors(event_group(out.read_bytes()), SCHEMA_EVENT) == []
    assert xmlsec1_verify(xmlsec1, out.read_bytes(), tmp_path, id_node="rEve").returncode == 0


def test_event_build_reports_rule_violations(workdir: Path) -> None:
    body = {**BODIES["inutilizacion"], "desde": 30, "hasta": 20}
    request_json = workdir / "bad-ev.json"
    request_json.write_text(json.dumps({"tipo": "inutilizacion", "id": 1, "data": body, "contexto": {}}))
    result = CliRunner().invoke(
        cli, ["event", "build", str(request_json), "--p12", str(workdir / "cert.p12"), "--password", "PW"]
    )
    assert result.exit_code == 2
    assert json.loads(result.stderr) == [
        {
            "code": "RANGO_INVERTIDO",
            "path": "$.data.hasta",
            "message": "hasta debe ser mayor o igual que desde (SIFEN 4068)",
        }
    ]
