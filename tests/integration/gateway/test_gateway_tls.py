"""The gateway over real HTTPS (`sifenflow serve gateway` with TLS_CERT_FILE/TLS_KEY_FILE and a
throw-away certificate): security headers on every response, HSTS over HTTPS only (or behind an
ingress that says so, when trusted); incomplete TLS settings stop the process with a clear message."""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sifenflow_gateway.app import create_app, postgres_deps
from sifenflow_gateway.security_headers import HEADERS
from tests.integration.gateway.conftest import gw_settings
from tests.integration.gateway.gateway_process import gateway_process

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def throwaway_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "tls.crt", directory / "tls.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def assert_security_headers(headers: Any) -> None:
    for name, value in HEADERS.items():
        assert headers.get(name) == value, name
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


async def test_https_with_hsts_and_security_headers_on_every_response(gw_dsn: str, tmp_path: Path) -> None:
    cert, key = throwaway_certificate(tmp_path)
    trusted = ssl.create_default_context(cafile=str(cert))
    env = {"TLS_CERT_FILE": str(cert), "TLS_KEY_FILE": str(key), "HSTS_MAX_AGE_S": "63072000"}
    async with gateway_process(gw_dsn, env, ssl_context=trusted) as url, aiohttp.ClientSession() as session:
        assert url.startswith("https://")
        for path, status in (("/healthz", 200), ("/docs", 200), ("/acme/test", 401), ("/no/such", 404)):
            async with session.get(url + path, ssl=trusted) as response:
                assert response.status == status, path
                assert_security_headers(response.headers)
                hsts = response.headers["Strict-Transport-Security"]
                assert hsts == "max-age=63072000; includeSubDomains"
        # the certificate is really checked: a client that does not trust it is refused
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            async with session.get(url + "/healthz"):
                pass
        # plain HTTP on the TLS port gets no answer at all
        with pytest.raises(aiohttp.ClientError):
            async with session.get(url.replace("https://", "http://") + "/healthz") as response:
                await response.read()


async def test_plain_http_has_the_headers_but_no_hsts_unless_a_trusted_ingress_says_https(
    gw_pool: asyncpg.Pool,
) -> None:
    for trust in (False, True):
        settings = gw_settings(trust_forwarded_proto=trust)
        client: TestClient[Any, Any] = TestClient(
            TestServer(create_app(settings, postgres_deps(gw_pool, settings)), host="127.0.0.1")
        )
        await client.start_server()
        try:
            plain = await client.get("/healthz")
            assert_security_headers(plain.headers)
            assert "Strict-Transport-Security" not in plain.headers
            forwarded = await client.get("/acme/test", headers={"X-Forwarded-Proto": "https"})
            assert forwarded.status == 401
            assert_security_headers(forwarded.headers)
            assert forwarded.headers["Cache-Control"] == "no-store"
            assert ("Strict-Transport-Security" in forwarded.headers) is trust
        finally:
            await client.close()


async def test_a_certificate_without_its_key_stops_the_gateway_with_a_message(
    gw_dsn: str, tmp_path: Path
) -> None:
    cert, _ = throwaway_certificate(tmp_path)
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "sifenflow_cli.main", "serve", "gateway"),
        env={**os.environ, "DATABASE_URL": gw_dsn, "HTTP_PORT": "0", "TLS_CERT_FILE": str(cert)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode != 0
    assert "TLS_CERT_FILE y TLS_KEY_FILE van juntos" in output.decode(errors="replace")
    assert "Traceback" not in output.decode(errors="replace")
