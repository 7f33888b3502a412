"""Tenants and API keys on PostgreSQL (asyncpg). Secrets are sealed with SecretBox before storage."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from sifenflow_common.crypto import SecretBox
from sifenflow_common.tenants.apikeys import generate_key, lookup_id_of, token_matches
from sifenflow_common.tenants.certificate import inspect_certificate
from sifenflow_common.tenants.input import TenantInput
from sifenflow_common.tenants.model import (
    SIFEN_BASE_URLS,
    Environment,
    Role,
    Tenant,
    TenantSecrets,
    Timbrado,
)


class TenantExistsError(ValueError):
    """A tenant with that slug already exists."""


class RucTakenError(ValueError):
    """Another tenant of the same environment has that RUC: SIFEN numbers per RUC, timbrado,
    establecimiento and punto, so two companies with one RUC would issue the same CDCs."""

    def __init__(self, ruc: str, environment: Environment) -> None:
        super().__init__(ruc)
        self.ruc = ruc
        self.environment = environment


def ruc_taken_message(exc: RucTakenError) -> str:
    return (
        f"Ya existe una empresa con el RUC {exc.ruc} en el ambiente {exc.environment.value}: "
        "dos empresas con el mismo RUC emitirían los mismos CDC"
    )


# One creation per (environment, RUC) at a time; the RUC compared without its check digit.
_LOCK_RUC = "SELECT pg_advisory_xact_lock(hashtext('tenant-ruc:' || $1 || ':' || $2))"
_SLUG_TAKEN = "SELECT EXISTS (SELECT 1 FROM tenants WHERE slug = $1)"
_RUC_TAKEN = """
SELECT EXISTS (
    SELECT 1 FROM tenants WHERE environment = $1 AND split_part(params->>'ruc', '-', 1) = $2
)
"""


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: uuid.UUID
    tenant_id: uuid.UUID
    lookup_id: str
    role: Role
    label: str
    created_at: datetime
    revoked_at: datetime | None

    def public_view(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "tenantId": str(self.tenant_id),
            "lookupId": self.lookup_id,
            "role": self.role.value,
            "label": self.label,
            "createdAt": self.created_at.isoformat(),
            "revokedAt": self.revoked_at.isoformat() if self.revoked_at else None,
        }


def _aad(tenant_id: uuid.UUID, what: str) -> str:
    return f"tenant:{tenant_id}:{what}"


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def tenant_from_row(row: asyncpg.Record) -> Tenant:
    timbrados = tuple(
        Timbrado(numero=t["numero"], fecha_inicio=t["fechaInicio"], fecha_fin=t.get("fechaFin"))
        for t in _json(row["timbrados"])
    )
    puntos = {k: tuple(v) for k, v in _json(row["puntos"]).items()}
    return Tenant(
        id=row["id"],
        slug=row["slug"],
        nombre=row["nombre"],
        environment=Environment(row["environment"]),
        sifen_base_url=row["sifen_base_url"],
        params=_json(row["params"]),
        timbrados=timbrados,
        puntos=puntos,
        csc_id=row["csc_id"],
        has_csc=row["csc_sealed"] is not None,
        has_certificate=row["certificate_sealed"] is not None,
        certificate_not_after=row["certificate_not_after"],
        smtp=_json(row["smtp"]),
        webhook=_json(row["webhook"]),
        active=row["active"],
        created_at=row["created_at"],
        logo_media_type=row.get("logo_media_type"),
    )


class TenantRepository:
    def __init__(self, pool: asyncpg.Pool, box: SecretBox, simulator_url: str) -> None:
        self._pool = pool
        self._box = box
        self._simulator_url = simulator_url

    def base_url_for(self, environment: Environment) -> str:
        return SIFEN_BASE_URLS.get(environment, self._simulator_url)

    async def create(self, data: TenantInput) -> Tenant:
        tenant_id = uuid.uuid4()
        seal = self._box.seal_text
        cert_sealed = pwd_sealed = None
        not_after = None
        if data.certificate_p12 is not None:
            not_after = inspect_certificate(data.certificate_p12, data.certificate_password).not_after
            cert_sealed = self._box.seal(data.certificate_p12, _aad(tenant_id, "certificate"))
            if data.certificate_password is not None:
                pwd_sealed = seal(data.certificate_password, _aad(tenant_id, "certificate_password"))
        csc_sealed = seal(data.csc, _aad(tenant_id, "csc")) if data.csc is not None else None
        ruc = str(data.params.get("ruc", ""))
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                await conn.execute(_LOCK_RUC, data.environment.value, ruc.split("-")[0])
                if await conn.fetchval(_SLUG_TAKEN, data.slug):
                    raise TenantExistsError(data.slug)
                if await conn.fetchval(_RUC_TAKEN, data.environment.value, ruc.split("-")[0]):
                    raise RucTakenError(ruc, data.environment)
                row = await self._insert(
                    conn, tenant_id, data, csc_sealed, cert_sealed, pwd_sealed, not_after
                )
        except asyncpg.UniqueViolationError as exc:
            raise TenantExistsError(data.slug) from exc
        assert row is not None
        return tenant_from_row(row)

    async def _insert(
        self,
        conn: asyncpg.Connection,
        tenant_id: uuid.UUID,
        data: TenantInput,
        csc_sealed: str | None,
        cert_sealed: str | None,
        pwd_sealed: str | None,
        not_after: datetime | None,
    ) -> asyncpg.Record | None:
        return await conn.fetchrow(
            """
                INSERT INTO tenants (id, slug, nombre, environment, sifen_base_url, params, timbrados,
                    puntos, csc_id, csc_sealed, certificate_sealed, certificate_password_sealed,
                    certificate_not_after, smtp, webhook)
                VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13,
                        $14::jsonb, $15::jsonb)
                RETURNING *
                """,
            tenant_id,
            data.slug,
            data.nombre,
            data.environment.value,
            self.base_url_for(data.environment),
            json.dumps(data.params),
            json.dumps([t.as_dict() for t in data.timbrados]),
            json.dumps({k: list(v) for k, v in data.puntos.items()}),
            data.csc_id,
            csc_sealed,
            cert_sealed,
            pwd_sealed,
            not_after,
            json.dumps(data.smtp),
            json.dumps(data.webhook),
        )

    async def replace_certificate(self, tenant_id: uuid.UUID, p12: bytes, password: str | None) -> Tenant:
        """A renewed PKCS#12 (checked by the caller with inspect_certificate / matches_ruc)."""
        not_after = inspect_certificate(p12, password).not_after
        pwd = self._box.seal_text(password, _aad(tenant_id, "certificate_password")) if password else None
        row = await self._pool.fetchrow(
            """
            UPDATE tenants SET certificate_sealed = $2, certificate_password_sealed = $3,
                certificate_not_after = $4, updated_at = now()
            WHERE id = $1 RETURNING *
            """,
            tenant_id,
            self._box.seal(p12, _aad(tenant_id, "certificate")),
            pwd,
            not_after,
        )
        if row is None:
            raise KeyError(str(tenant_id))
        return tenant_from_row(row)

    async def get(self, tenant_id: uuid.UUID) -> Tenant | None:
        row = await self._pool.fetchrow("SELECT * FROM tenants WHERE id = $1", tenant_id)
        return tenant_from_row(row) if row else None

    async def get_by_slug(self, slug: str) -> Tenant | None:
        row = await self._pool.fetchrow("SELECT * FROM tenants WHERE slug = $1", slug)
        return tenant_from_row(row) if row else None

    async def get_by_ref(self, ref: str) -> Tenant | None:
        """By UUID or slug (the admin API and CLI accept either)."""
        try:
            return await self.get(uuid.UUID(ref))
        except ValueError:
            return await self.get_by_slug(ref)

    async def list(self) -> list[Tenant]:
        rows = await self._pool.fetch("SELECT * FROM tenants ORDER BY slug")
        return [tenant_from_row(r) for r in rows]

    async def load_secrets(self, tenant_id: uuid.UUID) -> TenantSecrets:
        row = await self._pool.fetchrow(
            "SELECT csc_id, csc_sealed, certificate_sealed, certificate_password_sealed"
            " FROM tenants WHERE id = $1",
            tenant_id,
        )
        if row is None:
            raise KeyError(str(tenant_id))
        box = self._box
        return TenantSecrets(
            csc_id=row["csc_id"],
            csc=box.open_text(row["csc_sealed"], _aad(tenant_id, "csc")) if row["csc_sealed"] else None,
            certificate_p12=(
                box.open(row["certificate_sealed"], _aad(tenant_id, "certificate"))
                if row["certificate_sealed"]
                else None
            ),
            certificate_password=(
                box.open_text(row["certificate_password_sealed"], _aad(tenant_id, "certificate_password"))
                if row["certificate_password_sealed"]
                else None
            ),
        )


class ApiKeyRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, tenant_id: uuid.UUID, role: Role, label: str = "") -> tuple[ApiKeyRecord, str]:
        """Returns the record and the token; the token is not stored and cannot be shown again."""
        generated = generate_key()
        row = await self._pool.fetchrow(
            """
            INSERT INTO api_keys (id, tenant_id, lookup_id, token_hash, role, label)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING *
            """,
            uuid.uuid4(),
            tenant_id,
            generated.lookup_id,
            generated.token_hash,
            role.value,
            label,
        )
        assert row is not None
        return _key_from_row(row), generated.token

    async def authenticate(self, token: str) -> tuple[ApiKeyRecord, Tenant] | None:
        lookup = lookup_id_of(token)
        if lookup is None:
            return None
        row = await self._pool.fetchrow(
            """
            SELECT k.id AS key_id, k.tenant_id, k.lookup_id, k.token_hash, k.role, k.label,
                   k.created_at AS key_created_at, k.revoked_at, t.*
            FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
            WHERE k.lookup_id = $1
            """,
            lookup,
        )
        if row is None or row["revoked_at"] is not None or not row["active"]:
            return None
        if not token_matches(token, row["token_hash"]):
            return None
        record = ApiKeyRecord(
            id=row["key_id"],
            tenant_id=row["tenant_id"],
            lookup_id=row["lookup_id"],
            role=Role(row["role"]),
            label=row["label"],
            created_at=row["key_created_at"],
            revoked_at=None,
        )
        return record, tenant_from_row(row)

    async def revoke(self, key_id: uuid.UUID) -> ApiKeyRecord | None:
        row = await self._pool.fetchrow(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *", key_id
        )
        return _key_from_row(row) if row else None

    async def list_for_tenant(self, tenant_id: uuid.UUID) -> list[ApiKeyRecord]:
        rows = await self._pool.fetch(
            "SELECT * FROM api_keys WHERE tenant_id = $1 ORDER BY created_at", tenant_id
        )
        return [_key_from_row(r) for r in rows]


def _key_from_row(row: asyncpg.Record) -> ApiKeyRecord:
    return ApiKeyRecord(
        id=row["id"],
        tenant_id=row["tenant_id"],
        lookup_id=row["lookup_id"],
        role=Role(row["role"]),
        label=row["label"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
