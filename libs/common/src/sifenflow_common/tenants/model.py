"""Tenant domain objects. Plain frozen dataclasses: no I/O, no decrypted secrets kept around."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID


class Environment(StrEnum):
    SIMULADO = "simulado"  # the bundled SIFEN simulator (sifen_sim)
    TEST = "test"  # SET's test environment
    PRODUCCION = "produccion"


# SIFEN hosts per environment (MT v150 §8: web services); simulado takes its URL from settings.
SIFEN_BASE_URLS: dict[Environment, str] = {
    Environment.TEST: "https://sifen-test.set.gov.py",
    Environment.PRODUCCION: "https://sifen.set.gov.py",
}


class Role(StrEnum):
    """A company role, the same for API keys and users (gateway/authz.py decides what each may do)."""

    ADMIN = "admin"  # everything in its tenant, users and settings included
    EMISOR = "emisor"  # emit, events, email, and read
    CONTADOR = "contador"  # read, reports, exports
    LECTURA = "contador"  # legacy name of CONTADOR (keys created as "lectura" keep working)

    @classmethod
    def _missing_(cls, value: object) -> Role | None:
        return cls.CONTADOR if value == "lectura" else None

    def can_emit(self) -> bool:
        return self in (Role.ADMIN, Role.EMISOR)


@dataclass(frozen=True, slots=True)
class Timbrado:
    numero: str  # dNumTim C004, 8 digits
    fecha_inicio: str  # dFeIniT C008, YYYY-MM-DD
    fecha_fin: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"numero": self.numero, "fechaInicio": self.fecha_inicio, "fechaFin": self.fecha_fin}

    def valid_on(self, day: date) -> bool:
        if day < date.fromisoformat(self.fecha_inicio[:10]):
            return False
        return self.fecha_fin is None or day <= date.fromisoformat(self.fecha_fin[:10])


@dataclass(frozen=True, slots=True)
class Tenant:
    id: UUID
    slug: str
    nombre: str
    environment: Environment
    sifen_base_url: str
    params: dict[str, Any]  # FacturaSend `params` (emisor): ruc, razonSocial, timbrado, establecimientos...
    timbrados: tuple[Timbrado, ...]
    puntos: dict[str, tuple[str, ...]]  # establecimiento codigo -> puntos de expedición
    csc_id: str | None
    has_csc: bool
    has_certificate: bool
    certificate_not_after: datetime | None
    smtp: dict[str, Any] = field(default_factory=dict)  # placeholder, filled by the mailer issue
    webhook: dict[str, Any] = field(default_factory=dict)  # placeholder, filled by the notifier issue
    active: bool = True
    created_at: datetime | None = None
    logo_media_type: str | None = None  # image/png | image/svg+xml when the company set a logo

    @property
    def ruc(self) -> str:
        return str(self.params.get("ruc", ""))

    @property
    def timbrado_numero(self) -> str:
        return str(self.params.get("timbradoNumero", ""))

    def establecimiento_codes(self) -> list[str]:
        """The active establecimientos (a deactivated one keeps its data with ``activo: false``)."""
        return [
            str(e.get("codigo", ""))
            for e in self.params.get("establecimientos", [])
            if e.get("activo", True) is not False
        ]

    def timbrado_at(self, day: date) -> Timbrado:
        """The timbrado valid on ``day`` (the latest one to start); the current one otherwise."""
        valid = [t for t in self.timbrados if t.valid_on(day)]
        if valid:
            return max(valid, key=lambda t: t.fecha_inicio)
        current = next((t for t in self.timbrados if t.numero == self.timbrado_numero), None)
        return current or Timbrado(self.timbrado_numero, str(self.params.get("timbradoFecha", ""))[:10])

    def params_at(self, fecha: object) -> dict[str, Any]:
        """``params`` with the timbrado valid at a document's ``fecha`` (ISO date or date-time)."""
        try:
            day = date.fromisoformat(str(fecha)[:10])
        except ValueError:
            return self.params
        timbrado = self.timbrado_at(day)
        if timbrado.numero == self.timbrado_numero:
            return self.params
        params = dict(self.params, timbradoNumero=timbrado.numero, timbradoFecha=timbrado.fecha_inicio)
        if "timbradoFechaFin" in params or timbrado.fecha_fin:
            params["timbradoFechaFin"] = timbrado.fecha_fin
        return params

    def puntos_of(self, establecimiento: str) -> tuple[str, ...]:
        return self.puntos.get(establecimiento, ())

    def public_view(self) -> dict[str, Any]:
        """Everything but secrets (which are never returned, only whether they are set)."""
        return {
            "id": str(self.id),
            "slug": self.slug,
            "nombre": self.nombre,
            "environment": self.environment.value,
            "sifenBaseUrl": self.sifen_base_url,
            "params": self.params,
            "timbrados": [t.as_dict() for t in self.timbrados],
            "puntos": {k: list(v) for k, v in self.puntos.items()},
            "cscId": self.csc_id,
            "hasCsc": self.has_csc,
            "hasCertificate": self.has_certificate,
            "certificateNotAfter": (
                self.certificate_not_after.isoformat() if self.certificate_not_after else None
            ),
            "smtp": self.smtp,
            "webhook": self.webhook,
            "active": self.active,
            "logo": self.logo_media_type,
            "createdAt": self.created_at.isoformat() if self.created_at else None,
        }


@dataclass(frozen=True, slots=True)
class TenantSecrets:
    """Decrypted secrets, loaded only by the component that needs them (signer)."""

    csc_id: str | None
    csc: str | None
    certificate_p12: bytes | None
    certificate_password: str | None

    def __repr__(self) -> str:  # never print key material
        return f"TenantSecrets(csc_id={self.csc_id!r}, csc=***, certificate=***, password=***)"
