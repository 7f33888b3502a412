"""Secrets at rest, API key tokens and tenant input validation (no I/O)."""

from __future__ import annotations

import base64

import pytest

from sifenflow_common.crypto import SecretBox, SecretDecryptionError
from sifenflow_common.tenants import apikeys
from sifenflow_common.tenants.certificate import inspect_certificate
from sifenflow_common.tenants.input import parse_tenant_input
from tests.unit.gateway.samples import make_p12, tenant_body

pytestmark = pytest.mark.unit

MASTER = "a-master-key-with-enough-length"


def test_seal_and_open_roundtrip_bound_to_owner() -> None:
    box = SecretBox([MASTER])
    sealed = box.seal(b"pkcs12-bytes", "tenant:1:certificate")
    assert sealed.startswith(f"v1.{box.key_id}.")
    assert b"pkcs12" not in base64.urlsafe_b64decode(sealed.split(".")[2])
    assert box.open(sealed, "tenant:1:certificate") == b"pkcs12-bytes"
    with pytest.raises(SecretDecryptionError):
        box.open(sealed, "tenant:2:certificate")  # copied to another tenant: does not open


def test_tampered_or_unknown_key_fails() -> None:
    box = SecretBox([MASTER])
    sealed = box.seal_text("clave", "aad")
    version, kid, body = sealed.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(SecretDecryptionError):
        box.open(f"{version}.{kid}.{flipped}", "aad")
    with pytest.raises(SecretDecryptionError):
        SecretBox(["another-master-key-0000"]).open(sealed, "aad")


def test_rotation_old_key_still_opens() -> None:
    old = SecretBox([MASTER]).seal_text("csc", "aad")
    rotated = SecretBox(["the-new-master-key-000000", MASTER])
    assert rotated.open_text(old, "aad") == "csc"
    assert rotated.seal_text("csc", "aad").split(".")[1] == rotated.key_id != old.split(".")[1]


def test_box_repr_shows_no_key_material() -> None:
    text = repr(SecretBox([MASTER]))
    assert MASTER not in text and "key_id" in text


def test_short_master_key_refused() -> None:
    with pytest.raises(ValueError):
        SecretBox(["short"])


def test_api_key_token_shape_and_hash() -> None:
    gen = apikeys.generate_key()
    assert gen.token.startswith("api_key_") and len(gen.token) == 8 + 44
    assert apikeys.lookup_id_of(gen.token) == gen.lookup_id
    assert apikeys.token_matches(gen.token, gen.token_hash)
    altered = gen.token[:-1] + ("x" if gen.token[-1] != "x" else "y")
    assert not apikeys.token_matches(altered, gen.token_hash)
    assert gen.token not in repr(gen)
    assert gen.token_hash != gen.token and len(gen.token_hash) == 64


@pytest.mark.parametrize(
    "token", ["", "api_key_", "api_key_short", "Bearer api_key_x", "api_key_" + "!" * 44]
)
def test_malformed_tokens_have_no_lookup(token: str) -> None:
    assert apikeys.lookup_id_of(token) is None


def test_valid_tenant_input_defaults() -> None:
    data, issues = parse_tenant_input(tenant_body("acme"))
    assert issues == [] and data is not None
    assert data.puntos == {"001": ("001", "002")}
    assert data.timbrados[0].numero == "12558946"


def test_tenant_input_reports_every_problem_with_paths() -> None:
    body = tenant_body("Mal Slug")
    body["params"]["ruc"] = "80069563-9"  # wrong DV (module 11)
    body["params"]["timbradoNumero"] = "123"
    body["environment"] = "prod"
    body["params"]["establecimientos"][0]["codigo"] = "1"
    _, issues = parse_tenant_input(body)
    got = {(i.code, i.path) for i in issues}
    assert got >= {
        ("SLUG_INVALIDO", "slug"),
        ("RUC_DV_INVALIDO", "params.ruc"),
        ("TIMBRADO_INVALIDO", "params.timbradoNumero"),
        ("AMBIENTE_INVALIDO", "environment"),
        ("CAMPO_INVALIDO", "params.establecimientos[0].codigo"),
    }


def test_reserved_slug_refused() -> None:
    _, issues = parse_tenant_input(tenant_body("admin"))
    assert [i.code for i in issues] == ["SLUG_INVALIDO"]


def test_certificate_ruc_must_match_params() -> None:
    _, ok = parse_tenant_input(tenant_body("acme", with_cert=True))
    assert ok == []
    _, issues = parse_tenant_input(tenant_body("acme", with_cert=True, cert_ruc="80012345-6"))
    assert [i.code for i in issues] == ["CERTIFICADO_RUC_NO_COINCIDE"]


def test_certificate_wrong_password() -> None:
    body = tenant_body("acme", with_cert=True)
    body["certificatePassword"] = "otra"
    _, issues = parse_tenant_input(body)
    assert [(i.code, i.path) for i in issues] == [("CERTIFICADO_INVALIDO", "certificate")]


def test_inspect_certificate_reads_expiry_and_ruc() -> None:
    info = inspect_certificate(make_p12("80069563-1", "pw"), "pw")
    assert info.matches_ruc("80069563-1") and not info.matches_ruc("8006956-3")
    assert info.not_after.year >= 2026
