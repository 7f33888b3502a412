"""PKCS#12 loading, RUC extraction and the per-tenant credentials cache (MT v150 §7.4)."""

from __future__ import annotations

import pytest

from sifenflow_common.sifen.certificates import (
    CredentialsCache,
    Pkcs12CorruptError,
    Pkcs12PasswordError,
    SigningCredentials,
    load_pkcs12,
)
from tests.unit.signing.conftest import PASSWORD, Pkcs12File

pytestmark = pytest.mark.unit


def test_load_pkcs12_gives_key_certificate_chain_ruc_and_dates(p12: Pkcs12File, test_ca) -> None:  # type: ignore[no-untyped-def]
    credentials = load_pkcs12(p12.data, p12.password)
    assert credentials.ruc == "80069563-1"  # subject serialNumber RUC80069563-1
    assert credentials.chain == (test_ca.certificate,)
    assert credentials.not_before < credentials.not_after
    assert credentials.not_before.tzinfo is not None
    assert credentials.private_key.key_size == 2048
    assert "\n" not in credentials.certificate_der_b64


def test_credentials_never_show_key_material(credentials: SigningCredentials) -> None:
    text = repr(credentials) + str(credentials)
    assert "80069563-1" in text
    assert "PRIVATE" not in text and credentials.certificate_der_b64[:40] not in text
    assert "RSAPrivateKey" not in text and "private_key" not in text


def test_wrong_password_gives_stable_code(p12: Pkcs12File) -> None:
    with pytest.raises(Pkcs12PasswordError) as info:
        load_pkcs12(p12.data, "otra-clave")
    assert info.value.code == "CERT_PASSWORD_INCORRECTA"
    assert "Contraseña" in info.value.message


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(lambda d: d[: len(d) // 2], id="truncated"),
        pytest.param(lambda d: b"-----BEGIN CERTIFICATE-----\nMIIB\n", id="pem-text"),
        pytest.param(lambda d: b"", id="empty"),
        pytest.param(lambda d: b"\x30\x03\x02\x01\x02", id="wrong-version"),
    ],
)
def test_corrupt_pkcs12_gives_stable_code(p12: Pkcs12File, corrupt) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Pkcs12CorruptError) as info:
        load_pkcs12(corrupt(p12.data), p12.password)
    assert info.value.code == "CERT_PKCS12_INVALIDO"


def test_cache_loads_once_per_tenant_and_file(p12: Pkcs12File) -> None:
    loads: list[bytes] = []

    def loader(data: bytes, password: str) -> SigningCredentials:
        loads.append(data)
        return load_pkcs12(data, password)

    cache = CredentialsCache(max_entries=2, loader=loader)
    first = cache.get("tenant-a", p12.data, PASSWORD)
    assert cache.get("tenant-a", p12.data, PASSWORD) is first
    assert len(loads) == 1 and cache.hits == 1
    cache.get("tenant-b", p12.data, PASSWORD)
    assert len(loads) == 2  # same file, other tenant: separate entry


def test_cache_is_bounded_lru(p12: Pkcs12File) -> None:
    cache = CredentialsCache(max_entries=2)
    cache.get("a", p12.data, PASSWORD)
    cache.get("b", p12.data, PASSWORD)
    cache.get("a", p12.data, PASSWORD)  # a becomes most recent
    cache.get("c", p12.data, PASSWORD)  # evicts b
    assert len(cache) == 2
    misses = cache.misses
    cache.get("a", p12.data, PASSWORD)
    assert cache.misses == misses
    cache.get("b", p12.data, PASSWORD)
    assert cache.misses == misses + 1
    assert cache.evict_tenant("b") == 1 and len(cache) == 1


def test_cache_never_masks_a_wrong_password(p12: Pkcs12File) -> None:
    cache = CredentialsCache()
    cache.get("a", p12.data, PASSWORD)
    with pytest.raises(Pkcs12PasswordError):
        cache.get("a", p12.data, "incorrecta")
