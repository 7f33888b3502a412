"""Mutual TLS for SIFEN: an ``ssl.SSLContext`` per tenant certificate, built once and cached.

SIFEN requires TLS 1.2 with the taxpayer's certificate as client certificate (sifen-protocol.md
§1.3); usually the same PKCS#12 that signs the documents. ``ssl`` loads key material only from
files, so the key is written for the duration of ``load_cert_chain`` to a private temporary file,
encrypted with a random one-time password, and removed at once.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import ssl
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from sifenflow_common.sifen.certificates import SigningCredentials


@dataclass(frozen=True, slots=True)
class ClientCertificate:
    """A client certificate with its private key and intermediate chain (PEM)."""

    cert_pem: bytes
    key_pem: bytes = field(repr=False)
    chain_pem: bytes = b""

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.cert_pem).hexdigest()


class CertificateLoadError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


def client_certificate_from_pkcs12(data: bytes, password: str | bytes | None) -> ClientCertificate:
    """Read a ``.p12``/``.pfx`` (cryptography); clear errors for a wrong password or corrupt file."""
    secret = password.encode() if isinstance(password, str) else password
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, secret)
    except ValueError as exc:
        raise CertificateLoadError(
            "CERTIFICADO_INVALIDO", "No se pudo leer el PKCS#12 (contraseña incorrecta o archivo dañado)"
        ) from exc
    if key is None or cert is None:
        raise CertificateLoadError("CERTIFICADO_INCOMPLETO", "El PKCS#12 no contiene clave y certificado")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (extra or []))
    return ClientCertificate(cert.public_bytes(serialization.Encoding.PEM), key_pem, chain)


def client_certificate_from_credentials(credentials: SigningCredentials) -> ClientCertificate:
    """The signer's already loaded credentials (``sifen.certificates.load_pkcs12``) as a TLS client
    certificate: the same PKCS#12 signs and authenticates (sifen-protocol.md §1.3)."""
    key_pem = credentials.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = credentials.certificate.public_bytes(serialization.Encoding.PEM)
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in credentials.chain)
    return ClientCertificate(cert_pem, key_pem, chain)


def build_ssl_context(
    client_cert: ClientCertificate | None,
    *,
    cafile: str | None = None,
    cadata: str | None = None,
    verify_server: bool = True,
) -> ssl.SSLContext:
    """Client context: TLS ≥ 1.2, the tenant certificate, server verified against system or given CAs."""
    context = ssl.create_default_context(cafile=cafile, cadata=cadata)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not verify_server:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if client_cert is not None:
        _load_client_cert(context, client_cert)
    return context


def _load_client_cert(context: ssl.SSLContext, cert: ClientCertificate) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    one_time = secrets.token_urlsafe(24).encode()
    key = load_pem_private_key(cert.key_pem, password=None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(one_time),
    )
    with tempfile.TemporaryDirectory(prefix="sifenflow-tls-") as directory:
        os.chmod(directory, 0o700)
        path = os.path.join(directory, "client.pem")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(cert.cert_pem + cert.chain_pem + encrypted)
        context.load_cert_chain(path, password=one_time)


class TlsContextCache:
    """Bounded LRU of SSL contexts keyed by (tenant, certificate fingerprint); thread-safe."""

    def __init__(self, max_entries: int = 256) -> None:
        self._max = max_entries
        self._items: OrderedDict[tuple[str, str], ssl.SSLContext] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        tenant_id: str,
        client_cert: ClientCertificate,
        factory: Callable[[ClientCertificate], ssl.SSLContext] = build_ssl_context,
    ) -> ssl.SSLContext:
        key = (tenant_id, client_cert.fingerprint)
        with self._lock:
            context = self._items.get(key)
            if context is not None:
                self._items.move_to_end(key)
                return context
        context = factory(client_cert)
        with self._lock:
            self._items[key] = context
            self._items.move_to_end(key)
            while len(self._items) > self._max:
                self._items.popitem(last=False)
        return context

    def invalidate(self, tenant_id: str) -> None:
        with self._lock:
            for key in [k for k in self._items if k[0] == tenant_id]:
                del self._items[key]

    def __len__(self) -> int:
        return len(self._items)
