"""A company runs itself, end to end over HTTP (every service its own process, real PostgreSQL,
RabbitMQ and the SIFEN simulator): created with only its params it emits an approved document at
once; editing its timbrado (renewal), puntos and logo takes effect on the next document; the
environment switch is refused with the checklist until a real-CA certificate and SET's CSC are in;
the history lists every change without secrets."""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import subprocess
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen.test_ca import TestCA, issue_test_p12
from sifenflow_standalone.demo import demo_invoice, demo_params
from tests.e2e.pipeline.stack import Stack, cli, processes_stack

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

RUC = f"80012345-{dv11('80012345')}"
SIFEN = "{http://ekuatia.set.gov.py/sifen/xsd}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with processes_stack(tmp_path_factory.mktemp("company"), name="company") as running:
        yield running


def _png() -> bytes:
    """A 4x4 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\xff\x00\x00" * 4 for _ in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _real_ca_p12(tmp: Path, password: str) -> bytes:
    """A certificate for RUC from a throw-away CA that is not the local test CA."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "PSC Prueba Externa"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PY"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    ca = TestCA(directory=tmp, key=key, certificate=cert)
    return issue_test_p12(ca, ruc=RUC, name="EMPRESA NUEVA", password=password)


async def _call(
    session: aiohttp.ClientSession, method: str, url: str, token: str, body: Any = None
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with session.request(method, url, json=body, headers=headers) as response:
        if response.content_type == "application/pdf":
            return response.status, await response.read()
        return response.status, await response.json(content_type=None)


async def _emit(session: aiohttp.ClientSession, stack: Stack, key: str, **overrides: Any) -> dict[str, Any]:
    status, body = await _call(
        session, "POST", f"{stack.url}/nueva/de/create", key, demo_invoice(**overrides)
    )
    assert status == 200, body
    [de] = body["deList"]
    return dict(de)


async def _xml(session: aiohttp.ClientSession, stack: Stack, key: str, cdc: str) -> etree._Element:
    async with session.get(
        f"{stack.url}/nueva/de/xml/{cdc}", headers={"Authorization": f"Bearer {key}"}
    ) as response:
        assert response.status == 200, await response.text()
        return etree.fromstring(await response.read())


def _pdf_images(pdf: bytes, tmp: Path) -> int:
    path = tmp / "kude.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfimages", "-list", str(path)], check=True, capture_output=True).stdout.decode()
    return len(out.splitlines()) - 2  # two header lines


def _pdf_text(pdf: bytes, tmp: Path) -> str:
    path = tmp / "kude-text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True).stdout.decode()


async def test_a_company_runs_itself_from_creation_to_the_test_environment(
    stack: Stack, tmp_path: Path
) -> None:
    master = stack.master_key
    params = dict(demo_params(), ruc=RUC, timbradoNumero="11223344", timbradoFecha="2024-01-02")
    async with aiohttp.ClientSession() as session:
        # 1. created with only its params: test certificate, CSC and simulator registration done for it
        status, body = await _call(
            session, "POST", f"{stack.url}/admin/tenants", master, {"slug": "nueva", "params": params}
        )
        assert status == 201, body
        created = body["result"]
        assert created["hasCertificate"] and created["hasCsc"] and "simulador" not in created, created
        status, body = await _call(
            session,
            "POST",
            f"{stack.url}/admin/tenants/{created['id']}/apikeys",
            master,
            {"role": "admin", "label": "erp"},
        )
        key = body["result"]["token"]
        first = await _emit(session, stack, key)
        assert first["estado"] == "Aprobado", first
        status, pdf = await _call(session, "GET", f"{stack.url}/nueva/de/kude/{first['cdc']}", key)
        assert status == 200
        legend = "Generado desde un Ambiente no conectado a la SET".upper()  # the KuDE prints it in capitals
        assert legend in " ".join(_pdf_text(pdf, tmp_path).split())
        images_without_logo = _pdf_images(pdf, tmp_path)

        # 2. punto 002 is not the company's yet; renewal, puntos and logo apply to the next document
        status, body = await _call(
            session, "POST", f"{stack.url}/nueva/de/create", key, demo_invoice(punto="002")
        )
        assert status == 400, body
        renewal = (date.today() - timedelta(days=1)).isoformat()
        patch = {
            "timbrado": {"numero": "55667788", "fechaInicio": renewal, "fechaFin": None},
            "puntos": {"001": ["001", "002"]},
            "logo": base64.b64encode(_png()).decode(),
        }
        status, body = await _call(session, "PATCH", f"{stack.url}/nueva/empresa", key, patch)
        assert status == 200, body
        assert (
            body["result"]["params"]["timbradoNumero"] == "55667788" and body["result"]["logo"] == "image/png"
        )
        second = await _emit(session, stack, key, punto="002")
        assert second["estado"] == "Aprobado", second
        xml = await _xml(session, stack, key, second["cdc"])
        assert xml.findtext(f".//{SIFEN}dNumTim") == "55667788"
        assert xml.findtext(f".//{SIFEN}dPunExp") == "002"
        assert xml.findtext(f".//{SIFEN}dNumDoc") == "0000001"  # a new series for the new timbrado
        status, pdf = await _call(session, "GET", f"{stack.url}/nueva/de/kude/{second['cdc']}", key)
        assert status == 200 and _pdf_images(pdf, tmp_path) == images_without_logo + 1

        # 3. the switch is refused with the checklist until a real certificate and SET's CSC are in
        status, body = await _call(session, "GET", f"{stack.url}/nueva/empresa/ambiente/checklist", key)
        assert status == 200 and body["result"]["completo"] is False, body
        pending = {i["code"] for i in body["result"]["items"] if i["requerido"] and not i["ok"]}
        assert pending == {"CERTIFICADO", "CSC"}, body
        status, body = await _call(
            session, "POST", f"{stack.url}/nueva/empresa/ambiente", key, {"ambiente": "test"}
        )
        assert status == 409 and body["code"] == "AMBIENTE_REQUISITOS_PENDIENTES", body
        assert {e["code"] for e in body["errores"]} == {"CERTIFICADO", "CSC"}
        status, body = await _call(
            session,
            "PATCH",
            f"{stack.url}/admin/tenants/nueva",
            master,
            {
                "certificate": base64.b64encode(_real_ca_p12(tmp_path, "Pw-9x7Q")).decode(),
                "certificatePassword": "Pw-9x7Q",
                "cscId": "0002",
                "csc": "SETCSC00000000000000000000000002",
            },
        )
        assert status == 200, body
        status, body = await _call(session, "GET", f"{stack.url}/nueva/empresa/ambiente/checklist", key)
        assert body["result"]["completo"] is True, body
        status, body = await _call(
            session, "POST", f"{stack.url}/nueva/empresa/ambiente", key, {"ambiente": "produccion"}
        )
        assert status == 409 and body["code"] == "CAMBIO_DE_AMBIENTE_INVALIDO", body
        status, body = await _call(
            session, "POST", f"{stack.url}/nueva/empresa/ambiente", key, {"ambiente": "test"}
        )
        assert status == 200 and body["result"]["environment"] == "test", body

        # 4. the history: who, when, what — never a secret
        status, body = await _call(session, "GET", f"{stack.url}/admin/tenants/nueva/historial", master)
        assert status == 200, body
        items = body["result"]["items"]
        assert [i["accion"] for i in items] == ["creada", "editada", "editada", "ambiente"], items
        assert items[0]["cambios"][0]["generado"] == ["certificado de prueba", "csc"]
        assert items[1]["quien"].startswith("api-key:") and items[1]["quien"].endswith("(erp)")
        assert {c["campo"] for c in items[2]["cambios"]} == {"certificado", "csc"} and items[2][
            "quien"
        ] == "master-key"
        assert "SETCSC" not in str(body) and "Pw-9x7Q" not in str(body)
        status, own = await _call(session, "GET", f"{stack.url}/nueva/empresa/historial", key)
        assert status == 200 and own["result"]["items"] == items


async def test_edits_are_checked_guarded_by_role_and_the_cli_edits_too(stack: Stack, tmp_path: Path) -> None:
    master = stack.master_key
    ruc = f"80054321-{dv11('80054321')}"
    params = dict(demo_params(), ruc=ruc, timbradoNumero="22334455", timbradoFecha="2024-01-02")
    async with aiohttp.ClientSession() as session:
        status, body = await _call(
            session, "POST", f"{stack.url}/admin/tenants", master, {"slug": "segunda", "params": params}
        )
        assert status == 201, body
        keys = {}
        for role in ("admin", "emisor"):
            _, created = await _call(
                session, "POST", f"{stack.url}/admin/tenants/segunda/apikeys", master, {"role": role}
            )
            keys[role] = created["result"]["token"]
        status, body = await _call(
            session, "PATCH", f"{stack.url}/segunda/empresa", keys["emisor"], {"razonSocial": "Otra"}
        )
        assert status == 403 and body["code"] == "ROL_NO_AUTORIZADO", body
        status, body = await _call(
            session,
            "PATCH",
            f"{stack.url}/segunda/empresa",
            keys["admin"],
            {"puntos": {"009": ["001"]}, "ruc": "1-1"},
        )
        assert status == 400 and body["errores"][0]["code"] == "CAMPO_NO_EDITABLE", body
        assert body["errores"][0]["path"] == "ruc"
        # the CLI: a second establecimiento with two puntos, then documents there are approved
        changes = tmp_path / "cambios.json"
        est = dict(params["establecimientos"][0], codigo="002")
        changes.write_text(json.dumps({"establecimientos": [est], "puntos": {"002": ["001", "004"]}}))
        done = await asyncio.to_thread(
            subprocess.run,
            cli("tenant", "update", "segunda", str(changes)),
            env=stack.env,
            capture_output=True,
        )
        assert done.returncode == 0, done.stderr.decode()
        assert json.loads(done.stdout)["puntos"]["002"] == ["001", "004"]
        status, body = await _call(
            session,
            "POST",
            f"{stack.url}/segunda/de/create",
            keys["admin"],
            demo_invoice(establecimiento="002", punto="004"),
        )
        assert status == 200 and body["deList"][0]["estado"] == "Aprobado", body
        # deactivating an establecimiento: its documents are refused
        status, body = await _call(
            session,
            "PATCH",
            f"{stack.url}/segunda/empresa",
            keys["admin"],
            {"establecimientos": [{"codigo": "002", "activo": False}]},
        )
        assert status == 200, body
        status, body = await _call(
            session,
            "POST",
            f"{stack.url}/segunda/de/create",
            keys["admin"],
            demo_invoice(establecimiento="002", punto="004"),
        )
        assert status == 400, body
        _, history = await _call(session, "GET", f"{stack.url}/segunda/empresa/historial", keys["admin"])
        assert [i["quien"] for i in history["result"]["items"]][:2] == ["master-key", "cli"], history
