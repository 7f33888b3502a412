"""Signing certificates: PKCS#12 loading, the RUC a certificate carries, and a per-tenant cache.

A Paraguayan PSC certificate carries the taxpayer's RUC as ``RUC<number>-<dv>`` in the subject
``serialNumber`` (legal persons) or in a SubjectAlternativeName directoryName (natural persons
signing for a taxpayer) (MT v150 §7.4, sifen-protocol.md §1.3). Loading a PKCS#12 costs a key
derivation (tens of ms), so it is done once per (tenant, file) and kept in a bounded LRU cache.
Key material is never logged: ``SigningCredentials`` prints only the subject, RUC and dates.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from cryptography.x509.oid import NameOID

from sifenflow_common.sifen.paraguay_time import paraguay_local, paraguay_to_utc

__all__ = [
    "CertificateError",
    "CertificateExpiredError",
    "CertificateKeyTypeError",
    "CertificateNotYetValidError",
    "CertificateRucMismatchError",
    "CertificateRucMissingError",
    "CredentialsCache",
    "Pkcs12CorruptError",
    "Pkcs12PasswordError",
    "Pkcs12WithoutKeyError",
    "SigningCredentials",
    "certificate_ruc",
    "check_signing_allowed",
    "load_pkcs12",
]


class CertificateError(ValueError):
    """A certificate or PKCS#12 problem, with a stable code and a Spanish message."""

    code = "CERTIFICADO_INVALIDO"

    def __init__(self, message: str, code: str | None = None) -> None:
        if code is not None:
            self.code = code
        self.message = message
        super().__init__(f"{self.code}: {message}")


class Pkcs12PasswordError(CertificateError):
    code = "CERT_PASSWORD_INCORRECTA"


class Pkcs12CorruptError(CertificateError):
    code = "CERT_PKCS12_INVALIDO"


class Pkcs12WithoutKeyError(CertificateError):
    code = "CERT_PKCS12_SIN_CLAVE"


class CertificateKeyTypeError(CertificateError):
    code = "CERT_CLAVE_NO_RSA"


class CertificateExpiredError(CertificateError):
    code = "CERT_VENCIDO"  # SIFEN 0121


class CertificateNotYetValidError(CertificateError):
    code = "CERT_NO_VIGENTE"  # SIFEN 0121


class CertificateRucMissingError(CertificateError):
    code = "CERT_SIN_RUC"  # SIFEN 0122


class CertificateRucMismatchError(CertificateError):
    code = "CERT_RUC_DISTINTO"  # SIFEN 0142


@dataclass(frozen=True, slots=True)
class SigningCredentials:
    private_key: rsa.RSAPrivateKey = field(repr=False)
    certificate: x509.Certificate = field(repr=False)
    chain: tuple[x509.Certificate, ...] = field(repr=False)
    ruc: str | None  # "80069563-1" (number-dv) or None when the certificate carries no RUC
    not_before: datetime  # aware UTC
    not_after: datetime  # aware UTC
    certificate_der_b64: str = field(repr=False)  # one line, ready for X509Certificate
    subject: str = ""

    def __repr__(self) -> str:  # never show the key, not even by accident in a traceback
        return (
            f"SigningCredentials(subject={self.subject!r}, ruc={self.ruc!r}, "
            f"not_before={self.not_before.isoformat()}, not_after={self.not_after.isoformat()})"
        )

    __str__ = __repr__


def _ruc_from_value(value: str) -> str | None:
    text = value.replace(" ", "").upper()
    if not text.startswith("RUC"):
        return None
    ruc = text[3:]
    number, _, dv = ruc.partition("-")
    return ruc if number and dv else None


def certificate_ruc(certificate: x509.Certificate) -> str | None:
    """The ``number-dv`` RUC of a PSC certificate (subject serialNumber, else SAN dirName), or None."""
    for attribute in certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
        ruc = _ruc_from_value(str(attribute.value))
        if ruc:
            return ruc
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for name in san.get_values_for_type(x509.DirectoryName):
        for attribute in name.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
            ruc = _ruc_from_value(str(attribute.value))
            if ruc:
                return ruc
    return None


def _looks_like_pfx(data: bytes) -> bool:
    """True when ``data`` is a DER SEQUENCE spanning the whole input that starts with INTEGER 3.

    cryptography reports a wrong password and a damaged file with the same error; the outer DER
    structure tells the two apart (a damaged file usually breaks it, a wrong password never does).
    """
    if len(data) < 8 or data[0] != 0x30:
        return False
    first = data[1]
    if first < 0x80:
        length, offset = first, 2
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or len(data) < 2 + count:
            return False
        length, offset = int.from_bytes(data[2 : 2 + count], "big"), 2 + count
    return offset + length == len(data) and data[offset : offset + 3] == b"\x02\x01\x03"


def load_pkcs12(data: bytes, password: str) -> SigningCredentials:
    """Load a ``.p12``/``.pfx`` once: RSA key, signer certificate, chain, RUC and validity dates."""
    if not _looks_like_pfx(data):
        raise Pkcs12CorruptError("El archivo PKCS#12 está dañado o no es un PKCS#12 (.p12/.pfx)")
    try:
        key, certificate, chain = pkcs12.load_key_and_certificates(data, password.encode("utf-8"))
    except ValueError as exc:
        raise Pkcs12PasswordError(
            "Contraseña del certificado incorrecta (o el archivo PKCS#12 fue alterado)"
        ) from exc
    if key is None or certificate is None:
        raise Pkcs12WithoutKeyError("El PKCS#12 no contiene la clave privada y su certificado")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateKeyTypeError("SIFEN exige una clave RSA (2048 o 4096 bits)")
    return credentials_from(key, certificate, tuple(chain))


def credentials_from(
    key: rsa.RSAPrivateKey, certificate: x509.Certificate, chain: tuple[x509.Certificate, ...] = ()
) -> SigningCredentials:
    der = certificate.public_bytes(Encoding.DER)
    return SigningCredentials(
        private_key=key,
        certificate=certificate,
        chain=chain,
        ruc=certificate_ruc(certificate),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        certificate_der_b64=base64.b64encode(der).decode("ascii"),
        subject=certificate.subject.rfc4514_string(),
    )


def check_signing_allowed(
    credentials: SigningCredentials, *, at: datetime, issuer_ruc: str | None = None
) -> None:
    """Raise when SIFEN would reject a signature made with these credentials at ``at``.

    ``at`` must be aware. ``issuer_ruc`` is ``dRucEm-dDVEmi`` of the signed document (MT 0142).
    """
    moment = at.astimezone(UTC)
    if moment > credentials.not_after:
        raise CertificateExpiredError(
            f"El certificado venció el {credentials.not_after:%Y-%m-%d %H:%M} UTC (SIFEN 0121)"
        )
    if moment < credentials.not_before:
        raise CertificateNotYetValidError(
            f"El certificado es válido recién desde {credentials.not_before:%Y-%m-%d %H:%M} UTC (SIFEN 0121)"
        )
    if issuer_ruc is None:
        return
    if credentials.ruc is None:
        raise CertificateRucMissingError(
            "El certificado no contiene el RUC (serialNumber RUC<número>-<dv>) (SIFEN 0122)"
        )
    if _normal_ruc(credentials.ruc) != _normal_ruc(issuer_ruc):
        raise CertificateRucMismatchError(
            f"El RUC del certificado ({credentials.ruc}) no es el del emisor ({issuer_ruc}) (SIFEN 0142)"
        )


def checked_signing_time(
    credentials: SigningCredentials, *, issuer_ruc: str | None, signed_at: datetime | None = None
) -> str:
    """The ``dFecFirma`` text for a signature made at ``signed_at`` (default now), once the
    certificate may sign for ``issuer_ruc`` at that moment (raises as ``check_signing_allowed``).

    MT v150 A004: Paraguay local time, ``YYYY-MM-DDThh:mm:ss`` with no fraction and no offset.
    """
    local = paraguay_local(signed_at or datetime.now(UTC))
    check_signing_allowed(credentials, at=paraguay_to_utc(local), issuer_ruc=issuer_ruc)
    return local.strftime("%Y-%m-%dT%H:%M:%S")


def _normal_ruc(ruc: str) -> str:
    number, _, dv = ruc.strip().upper().partition("-")
    return f"{number.lstrip('0')}-{dv}"


@dataclass(slots=True)
class _Entry:
    password_tag: bytes
    credentials: SigningCredentials


class CredentialsCache:
    """Bounded LRU of loaded credentials keyed by (tenant id, sha256 of the PKCS#12 bytes).

    A hit also requires the same password (compared through a keyed hash, never stored in clear),
    so a wrong password is never masked by an earlier successful load. Thread-safe.
    """

    def __init__(
        self,
        max_entries: int = 256,
        loader: Callable[[bytes, str], SigningCredentials] = load_pkcs12,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self._max = max_entries
        self._loader = loader
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, tenant_id: str, p12: bytes, password: str) -> SigningCredentials:
        digest = hashlib.sha256(p12).hexdigest()
        key = (str(tenant_id), digest)
        tag = hmac.new(bytes.fromhex(digest), password.encode("utf-8"), hashlib.sha256).digest()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and hmac.compare_digest(entry.password_tag, tag):
                self._entries.move_to_end(key)
                self.hits += 1
                return entry.credentials
        credentials = self._loader(p12, password)  # slow part outside the lock
        with self._lock:
            self.misses += 1
            self._entries[key] = _Entry(tag, credentials)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return credentials

    def evict_tenant(self, tenant_id: str) -> int:
        """Forget every certificate of a tenant (e.g. after it uploads a new one)."""
        with self._lock:
            keys = [k for k in self._entries if k[0] == str(tenant_id)]
            for k in keys:
                del self._entries[k]
        return len(keys)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
