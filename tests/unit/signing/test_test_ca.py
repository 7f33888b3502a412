"""The local test CA and the PSC-like certificates it issues (MT v150 §7.4, protocol §1.3)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sifenflow_common.sifen.certificates import load_pkcs12
from sifenflow_common.sifen.test_ca import ensure_test_ca, issue_test_p12

pytestmark = pytest.mark.unit


def test_ca_is_created_once_and_reloaded(tmp_path: Path) -> None:
    first = ensure_test_ca(tmp_path / "ca")
    again = ensure_test_ca(tmp_path / "ca")
    assert first.certificate == again.certificate
    mode = (tmp_path / "ca" / "ca.key.pem").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert first.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_issued_certificate_looks_like_a_psc_certificate(test_ca) -> None:  # type: ignore[no-untyped-def]
    credentials = load_pkcs12(
        issue_test_p12(test_ca, ruc="80069563-1", name="EMPRESA S.A.", password="pw"), "pw"
    )
    certificate = credentials.certificate
    assert certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "RUC80069563-1"
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "EMPRESA S.A."
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in eku
    key = certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    certificate.verify_directly_issued_by(test_ca.certificate)


def test_ruc_without_dv_gets_it_and_a_wrong_dv_is_refused(test_ca) -> None:  # type: ignore[no-untyped-def]
    # MT v150 §10.2 module-11 DV: 80069563 → 1.
    credentials = load_pkcs12(
        issue_test_p12(test_ca, ruc="80069563", name="EMPRESA S.A.", password="pw"), "pw"
    )
    assert credentials.ruc == "80069563-1"
    with pytest.raises(ValueError, match="dígito verificador"):
        issue_test_p12(test_ca, ruc="80069563-2", name="EMPRESA S.A.", password="pw")
