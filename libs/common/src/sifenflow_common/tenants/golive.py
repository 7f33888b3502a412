"""What a company needs before it leaves the simulated environment (``GET /{t}/empresa/ambiente/
checklist``): a certificate for its RUC from a real certification authority (not the local test
CA, not self-signed, not expired), the CSC issued by SET (not the one generated for simulado), a
timbrado valid today, and no document still on its way to SIFEN (the signer and the sender follow the
company's current environment); SMTP is recommended, not required. The switch is refused until every
required item is ok. Allowed moves: simulado → test → produccion, and produccion → test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.serialization import pkcs12

from sifenflow_common.sifen.test_ca import CA_CERT_FILE
from sifenflow_common.tenants.certificate import CertificateError, inspect_certificate
from sifenflow_common.tenants.model import Environment, Tenant, TenantSecrets

TRANSITIONS: dict[Environment, frozenset[Environment]] = {
    Environment.SIMULADO: frozenset({Environment.TEST}),
    Environment.TEST: frozenset({Environment.PRODUCCION}),
    Environment.PRODUCCION: frozenset({Environment.TEST}),
}
TEST_CA_MARK = "sifenflow Test CA"
# document_status states between acceptance and SIFEN's answer (readmodel.documents)
IN_FLIGHT = ("requested", "built", "signed", "sending", "sent")


@dataclass(frozen=True, slots=True)
class CheckItem:
    code: str
    ok: bool
    required: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "ok": self.ok, "requerido": self.required, "message": self.message}


def _from_test_ca(cert: x509.Certificate, test_ca_dir: Path | None) -> bool:
    if cert.issuer == cert.subject or TEST_CA_MARK in cert.issuer.rfc4514_string():
        return True
    if test_ca_dir is not None and (test_ca_dir / CA_CERT_FILE).is_file():
        ca = x509.load_pem_x509_certificate((test_ca_dir / CA_CERT_FILE).read_bytes())
        try:
            cert.verify_directly_issued_by(ca)
            return True
        except (ValueError, TypeError, InvalidSignature):  # not issued by the local test CA
            return False
    return False


def _certificate(
    tenant: Tenant, secrets: TenantSecrets, test_ca_dir: Path | None, now: datetime
) -> CheckItem:
    code = "CERTIFICADO"
    if secrets.certificate_p12 is None:
        return CheckItem(
            code, False, True, "Cargue el certificado de firma (PKCS#12) de un prestador acreditado"
        )
    try:
        info = inspect_certificate(secrets.certificate_p12, secrets.certificate_password)
        _, cert, _ = pkcs12.load_key_and_certificates(
            secrets.certificate_p12,
            secrets.certificate_password.encode() if secrets.certificate_password is not None else None,
        )
    except (CertificateError, ValueError) as exc:
        return CheckItem(code, False, True, f"El certificado no se puede abrir: {exc}")
    assert cert is not None
    if _from_test_ca(cert, test_ca_dir):
        return CheckItem(
            code,
            False,
            True,
            "El certificado es de prueba (CA local o autofirmado): cargue uno de un prestador acreditado",
        )
    if not info.matches_ruc(tenant.ruc):
        return CheckItem(code, False, True, f"El certificado no corresponde al RUC {tenant.ruc}")
    if info.not_after <= now:
        return CheckItem(code, False, True, "El certificado está vencido")
    return CheckItem(code, True, True, f"Certificado válido hasta {info.not_after.date().isoformat()}")


def checklist(
    tenant: Tenant,
    secrets: TenantSecrets,
    *,
    csc_generated: bool,
    smtp_configured: bool,
    test_ca_dir: Path | None,
    in_flight: int = 0,
    now: datetime | None = None,
) -> list[CheckItem]:
    now = now or datetime.now(UTC)
    items = [_certificate(tenant, secrets, test_ca_dir, now)]
    if secrets.csc is None or csc_generated:
        items.append(
            CheckItem("CSC", False, True, "Cargue el CSC (cscId y csc) que la SET emitió para la empresa")
        )
    else:
        items.append(CheckItem("CSC", True, True, f"CSC {secrets.csc_id} cargado"))
    today = now.date() if isinstance(now, datetime) else date.today()
    if any(t.valid_on(today) for t in tenant.timbrados):
        items.append(
            CheckItem("TIMBRADO", True, True, f"Timbrado {tenant.timbrado_at(today).numero} vigente")
        )
    else:
        items.append(
            CheckItem("TIMBRADO", False, True, "Cargue un timbrado vigente (número, fechaInicio, fechaFin)")
        )
    if in_flight:
        message = (
            f"{in_flight} documento(s) esperan la respuesta de SIFEN: cambie de ambiente cuando terminen"
        )
        items.append(CheckItem("DOCUMENTOS_EN_CURSO", False, True, message))
    else:
        items.append(CheckItem("DOCUMENTOS_EN_CURSO", True, True, "Ningún documento en curso"))
    items.append(
        CheckItem(
            "SMTP",
            smtp_configured,
            False,
            "Correo configurado"
            if smtp_configured
            else "Opcional: configure SMTP para enviar los KuDE por correo",
        )
    )
    return items


def missing(items: list[CheckItem]) -> list[CheckItem]:
    return [i for i in items if i.required and not i.ok]


async def documents_in_flight(pool: asyncpg.Pool, tenant_id: Any) -> int:
    count = await pool.fetchval(
        "SELECT count(*) FROM document_status WHERE tenant_id = $1 AND status = ANY($2::text[])",
        tenant_id,
        list(IN_FLIGHT),
    )
    return int(count or 0)
