"""Client TLS material: PKCS#12 errors and the per-tenant SSLContext cache (sifen-protocol.md §1.3)."""

from __future__ import annotations

import ssl

import pytest

from sifenflow_common.sifen.certificates import load_pkcs12
from sifenflow_common.sifen.test_ca import issue_test_p12
from sifenflow_common.sifen_client import (
    CertificateLoadError,
    Environment,
    SifenClientConfig,
    TlsContextCache,
    build_ssl_context,
    client_certificate_from_credentials,
    client_certificate_from_pkcs12,
)
from tests.protocol_fixtures import protocol_ca

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def p12() -> bytes:
    return issue_test_p12(protocol_ca(), ruc="80069563-1", name="EMPRESA S.A.", password="clave")


def test_pkcs12_errors_have_stable_codes(p12: bytes) -> None:
    with pytest.raises(CertificateLoadError) as wrong:
        client_certificate_from_pkcs12(p12, "otra")
    assert wrong.value.code == "CERTIFICADO_INVALIDO"
    with pytest.raises(CertificateLoadError):
        client_certificate_from_pkcs12(b"no es un pkcs12", "clave")


def test_signing_credentials_and_p12_give_the_same_client_certificate(p12: bytes) -> None:
    from_p12 = client_certificate_from_pkcs12(p12, "clave")
    from_creds = client_certificate_from_credentials(load_pkcs12(p12, "clave"))
    assert from_p12.fingerprint == from_creds.fingerprint
    assert b"PRIVATE KEY" in from_creds.key_pem and "PRIVATE" not in repr(from_creds)


def test_context_cache_is_per_tenant_and_certificate(p12: bytes) -> None:
    cert = client_certificate_from_pkcs12(p12, "clave")
    other = client_certificate_from_pkcs12(
        issue_test_p12(protocol_ca(), ruc="80002201-7", name="OTRA S.A.", password="x"), "x"
    )
    cache = TlsContextCache(max_entries=2)
    first = cache.get("tenant-a", cert)
    assert isinstance(first, ssl.SSLContext)
    assert first.minimum_version is ssl.TLSVersion.TLSv1_2
    assert cache.get("tenant-a", cert) is first  # built once
    assert cache.get("tenant-b", other) is not first
    cache.get("tenant-c", other)  # bounded: the least recently used entry goes
    assert len(cache) == 2
    cache.invalidate("tenant-c")
    assert len(cache) == 1


def test_server_verification_can_be_disabled_for_the_simulator_only() -> None:
    context = build_ssl_context(None, verify_server=False)
    assert context.verify_mode is ssl.CERT_NONE and not context.check_hostname


def test_base_url_per_environment() -> None:
    assert (
        SifenClientConfig(environment=Environment.TEST).resolved_base_url == "https://sifen-test.set.gov.py"
    )
    assert (
        SifenClientConfig(environment=Environment.PRODUCCION).resolved_base_url == "https://sifen.set.gov.py"
    )
    assert SifenClientConfig().resolved_base_url == "http://127.0.0.1:8081"
    assert SifenClientConfig(base_url="https://x.example/").resolved_base_url == "https://x.example"
