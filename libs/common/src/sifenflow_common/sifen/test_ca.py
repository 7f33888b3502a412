"""A local test certification authority for the disconnected environment (simulator, demos, tests).

The CA lives in a directory (``ca.key.pem`` mode 0600 and ``ca.cert.pem``); ``ensure_test_ca``
creates it on first use and reloads it afterwards, so every certificate issued from the same
directory chains to the same root that the simulator trusts. Issued certificates look like a
Paraguayan PSC "F1" certificate of a legal person: subject ``serialNumber=RUC<number>-<dv>``
(MT v150 §7.4), RSA 2048, keyUsage digitalSignature, extendedKeyUsage clientAuth.

This CA is for testing only: its key is stored unencrypted on disk.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sifenflow_common.sifen.dv import dv11

# The throw-away root is valid from a fixed past date: tests sign at fixed dates (2024-2026), which
# a root made "now minus one day" stopped covering one day after the fixtures were written.
TEST_CA_NOT_BEFORE = datetime(2020, 1, 1, tzinfo=UTC)
CA_KEY_FILE = "ca.key.pem"
CA_CERT_FILE = "ca.cert.pem"
ENV_TEST_CA_DIR = "SIFENFLOW_TEST_CA_DIR"


def default_test_ca_dir() -> Path:
    """``$SIFENFLOW_TEST_CA_DIR`` or ``~/.sifenflow/test-ca``."""
    configured = os.environ.get(ENV_TEST_CA_DIR)
    return Path(configured).expanduser() if configured else Path.home() / ".sifenflow" / "test-ca"


@dataclass(frozen=True, slots=True)
class TestCA:
    __test__ = False  # not a pytest class

    directory: Path
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    def __repr__(self) -> str:
        subject = self.certificate.subject.rfc4514_string()
        return f"TestCA(directory={str(self.directory)!r}, subject={subject!r})"

    @property
    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)


def ensure_test_ca(directory: Path) -> TestCA:
    """Load the test CA from ``directory``, creating it (RSA 2048, 20 years) when absent."""
    directory = Path(directory).expanduser()
    key_path, cert_path = directory / CA_KEY_FILE, directory / CA_CERT_FILE
    if key_path.is_file() and cert_path.is_file():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_path} no contiene una clave RSA")
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        return TestCA(directory=directory, key=key, certificate=certificate)

    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PY"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sifenflow"),
            x509.NameAttribute(NameOID.COMMON_NAME, "sifenflow Test CA (sin valor legal)"),
        ]
    )
    now = datetime.now(UTC).replace(microsecond=0)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(TEST_CA_NOT_BEFORE)  # fixed: tests sign at fixed past dates
        .not_valid_after(now + timedelta(days=365 * 20))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return TestCA(directory=directory, key=key, certificate=certificate)


def _split_ruc(ruc: str) -> tuple[str, str]:
    number, sep, dv = ruc.strip().partition("-")
    if not sep:
        dv = str(dv11(number))
    if not number.isdigit() or not dv.isdigit() or len(number) > 8:
        raise ValueError(f"RUC inválido: {ruc!r} (formato 80069563-1)")
    if int(dv) != dv11(number):
        raise ValueError(f"El dígito verificador de {ruc!r} no es correcto (debe ser {dv11(number)})")
    return number, dv


def issue_test_certificate(
    ca: TestCA,
    *,
    ruc: str,
    name: str,
    valid_days: int = 365,
    not_before: datetime | None = None,
    key: rsa.RSAPrivateKey | None = None,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A PSC-like signing certificate for ``ruc`` (``80069563-1``) issued by the test CA."""
    number, dv = _split_ruc(ruc)
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    start = (not_before or datetime.now(UTC) - timedelta(minutes=5)).astimezone(UTC).replace(microsecond=0)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PY"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"RUC{number}-{dv}"),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    return key, certificate


def issue_test_p12(
    ca: TestCA,
    *,
    ruc: str,
    name: str,
    password: str,
    valid_days: int = 365,
    not_before: datetime | None = None,
    key: rsa.RSAPrivateKey | None = None,
) -> bytes:
    """PKCS#12 (AES-256, PBKDF2) with the key, the certificate and the CA certificate."""
    key, certificate = issue_test_certificate(
        ca, ruc=ruc, name=name, valid_days=valid_days, not_before=not_before, key=key
    )
    return pkcs12.serialize_key_and_certificates(
        name=name.encode("utf-8"),
        key=key,
        cert=certificate,
        cas=[ca.certificate],
        encryption_algorithm=serialization.BestAvailableEncryption(password.encode("utf-8")),
    )
