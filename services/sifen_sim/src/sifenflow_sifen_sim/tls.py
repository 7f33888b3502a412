"""Server side of mutual TLS: a server certificate (generated when none is given) and the CAs
trusted for client certificates. A client certificate outside the trusted chain fails the
handshake, which is where SIFEN rejects it too (codes 0001-0007 are TLS-level, sifen-protocol.md §3).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def ensure_server_certificate(directory: Path, hostname: str = "localhost") -> tuple[Path, Path]:
    """Self-signed server certificate for ``localhost``/127.0.0.1 in ``directory`` (made once)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "server-cert.pem", directory / "server-key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"sifenflow-sim {hostname}")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(hostname), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def server_ssl_context(
    cert_file: Path,
    key_file: Path,
    client_ca_file: Path | None,
    *,
    client_ca_pem: bytes | None = None,
    require_client_cert: bool = True,
) -> ssl.SSLContext:
    """TLS ≥ 1.2 server context; client certificates verified against the given CA file or PEM."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert_file), str(key_file))
    if client_ca_file is not None or client_ca_pem is not None:
        if client_ca_file is not None:
            context.load_verify_locations(cafile=str(client_ca_file))
        if client_ca_pem is not None:
            context.load_verify_locations(cadata=client_ca_pem.decode("ascii"))
        context.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    else:
        context.verify_mode = ssl.CERT_NONE
    return context


def ruc_of_peer(peercert: dict[str, object] | None) -> str | None:
    """RUC (without DV) in the client certificate's subject serialNumber ``RUC80069563-1``."""
    if not peercert:
        return None
    for rdn in peercert.get("subject", ()):  # type: ignore[attr-defined]
        for key, value in rdn:
            if key == "serialNumber" and str(value).upper().startswith("RUC"):
                return str(value)[3:].split("-", 1)[0]
    return None
