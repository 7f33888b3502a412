"""Reads a PKCS#12 file just enough to check it: password, expiry, and the RUC it was issued to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID


class CertificateError(ValueError):
    """The PKCS#12 cannot be opened (bad data or wrong password) or has no certificate."""


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    subject: str
    identifiers: tuple[str, ...]  # serialNumber and CN values of the subject
    not_after: datetime

    def matches_ruc(self, ruc: str) -> bool:
        """SET-issued certificates carry the RUC in the subject serialNumber (e.g. `RUC80012345-6`)."""
        base = ruc.split("-")[0].lstrip("0")
        for value in self.identifiers:
            for digits in re.findall(r"\d+", value):
                if digits.lstrip("0") == base:
                    return True
        return False


def inspect_certificate(data: bytes, password: str | None) -> CertificateInfo:
    try:
        _key, cert, _chain = pkcs12.load_key_and_certificates(
            data, password.encode("utf-8") if password is not None else None
        )
    except (ValueError, TypeError) as exc:
        raise CertificateError(
            "No se pudo abrir el certificado PKCS#12 (datos o contraseña inválidos)"
        ) from exc
    if cert is None or _key is None:
        raise CertificateError("El archivo PKCS#12 no contiene certificado y clave privada")
    identifiers = tuple(
        str(attr.value)
        for oid in (NameOID.SERIAL_NUMBER, NameOID.COMMON_NAME)
        for attr in cert.subject.get_attributes_for_oid(oid)
    )
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(), identifiers=identifiers, not_after=cert.not_valid_after_utc
    )
