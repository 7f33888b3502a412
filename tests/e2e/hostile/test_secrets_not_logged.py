"""A full flow on ``sifenflow run`` (real PostgreSQL), then every line it logged is searched for
every secret the flow created: master key, API keys (admin, emisor, lectura, revoked), certificate
password, CSC, webhook signing secret, SMTP password; among the requests, one whose Authorization
header aiohttp's HTTP parser refuses and one with a revoked key."""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import secrets
import socket
import string
from pathlib import Path
from typing import Any

import pytest

from sifenflow_common.sifen.test_ca import ensure_test_ca, issue_test_p12
from sifenflow_standalone.demo import DEMO_PUNTOS, demo_invoice, demo_params
from tests.e2e.hostile.stack import FINAL, RunStack, final_states, run_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

RUC = "80013884-8"  # not the demo emisor's: a company of its own


def _token(n: int = 32) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def _raw_request(stack: RunStack, raw: bytes) -> bytes:
    with socket.create_connection((stack.host, stack.port), timeout=10) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _admin(stack: RunStack, method: str, path: str, body: Any) -> Any:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {stack.master_key}"}
    answer = stack.request(method, path, json.dumps(body).encode(), headers)
    assert answer.status in (200, 201), answer.raw[:500]
    return answer.body["result"]


def test_no_secret_reaches_the_log(tmp_path: Path) -> None:
    with run_stack(tmp_path) as stack:
        secrets_made: dict[str, str] = {"master key": stack.master_key}
        ca = ensure_test_ca(tmp_path / "data" / "test-ca")
        cert_password, csc = "pw-" + _token(20), _token(32)
        secrets_made |= {"certificate password": cert_password, "CSC": csc}
        params = dict(copy.deepcopy(demo_params()), ruc=RUC, razonSocial="Empresa Secreta SA")
        p12 = issue_test_p12(ca, ruc=RUC, name="EMPRESA SECRETA", password=cert_password)
        tenant = _admin(
            stack,
            "POST",
            "/admin/tenants",
            {
                "slug": "secreta",
                "environment": "simulado",
                "params": params,
                "puntos": copy.deepcopy(DEMO_PUNTOS),
                "cscId": "0001",
                "csc": csc,
                "certificate": base64.b64encode(p12).decode("ascii"),
                "certificatePassword": cert_password,
            },
        )
        keys = {}
        for role in ("admin", "emisor", "lectura"):
            keys[role] = _admin(stack, "POST", f"/admin/tenants/{tenant['id']}/apikeys", {"role": role})
            secrets_made[f"{role} API key"] = keys[role]["token"]
        smtp_password = "smtp-" + _token(20)
        secrets_made["SMTP password"] = smtp_password
        smtp = {
            "host": "127.0.0.1",
            "port": 2525,
            "user": "u",
            "password": smtp_password,
            "from": "a@b.com.py",
        }
        _admin(stack, "PUT", f"/admin/tenants/{tenant['id']}/mail", {"smtp": smtp})

        admin, emisor = keys["admin"]["token"], keys["emisor"]["token"]
        hook = stack.post_json("/secreta/webhooks", {"url": "https://example.com/hook"}, admin)
        assert hook.status in (201, 400), hook.raw[:300]  # private or unresolvable URLs are refused
        if hook.status == 201:
            secrets_made["webhook secret"] = hook.body["result"]["secret"]

        invoice = dict(demo_invoice(), cliente=dict(demo_invoice()["cliente"], ruc="80069563-1"))
        created = stack.post_json("/secreta/lote/create", [invoice, invoice], emisor)
        assert created.status == 200, created.raw[:500]
        cdcs = [d["cdc"] for d in created.body["deList"]]
        assert stack.post_json("/secreta/de/create", invoice, emisor).status == 200
        stack.post_json("/secreta/de/email", {"cdcList": [{"cdc": cdcs[0]}], "emails": ["x@y.com.py"]}, admin)
        stack.post_json("/secreta/evento/cancelacion", {"cdc": cdcs[0], "motivo": "Error de carga"}, emisor)

        lectura = keys["lectura"]
        stack.request(
            "DELETE", f"/admin/apikeys/{lectura['id']}", None, {"Authorization": f"Bearer {stack.master_key}"}
        )
        revoked = stack.post_json("/secreta/de/estado", {"cdcList": [{"cdc": cdcs[0]}]}, lectura["token"])
        assert revoked.status == 401, revoked.raw[:300]
        bad_master = stack.request(
            "GET", f"/admin/tenants/{tenant['id']}", None, {"Authorization": f"Bearer {admin}"}
        )
        assert bad_master.status in (401, 403), bad_master.raw[:300]

        # a header value aiohttp's HTTP parser refuses (a control character after the key)
        parser_refused = _raw_request(
            stack,
            b"POST /secreta/de/create HTTP/1.1\r\nHost: x\r\n"
            + b"Authorization: Bearer "
            + emisor.encode()
            + b"\x01\r\nContent-Length: 2\r\n\r\n{}",
        )
        assert parser_refused.startswith(b"HTTP/1.1 400") or parser_refused.startswith(b"HTTP/1.0 400")
        refused_body = json.loads(parser_refused.partition(b"\r\n\r\n")[2])
        assert refused_body["success"] is False and refused_body["code"] == "SOLICITUD_MAL_FORMADA"
        assert emisor.encode() not in parser_refused

        states = final_states(stack, cdcs, timeout=60, slug="secreta", token=emisor)
        assert all(states.get(c) in FINAL for c in cdcs), states
        asyncio.run(asyncio.sleep(1))  # the last deliveries' log lines
        log = stack.log_text()
    leaked = {name: value for name, value in secrets_made.items() if value in log}
    assert not leaked, sorted(leaked)
    assert "http_request_refused_by_parser" in log  # the refused request was logged, without its bytes
