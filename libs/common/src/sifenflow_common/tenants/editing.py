"""Applies a checked TenantPatch (changes.py) or an environment switch to a company, with its
history event, in one transaction holding the company's row lock."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from sifenflow_common.crypto import SecretBox
from sifenflow_common.tenants.certificate import inspect_certificate
from sifenflow_common.tenants.changes import TenantPatch
from sifenflow_common.tenants.history import append_change, read_history
from sifenflow_common.tenants.logo import Logo
from sifenflow_common.tenants.mail import TenantMailRepository
from sifenflow_common.tenants.model import Environment, Tenant
from sifenflow_common.tenants.repository import tenant_from_row


def _aad(tenant_id: uuid.UUID, what: str) -> str:
    return f"tenant:{tenant_id}:{what}"  # the same binding as TenantRepository


class TenantEditor:
    def __init__(self, pool: asyncpg.Pool, box: SecretBox) -> None:
        self._pool = pool
        self._box = box

    async def apply(self, tenant: Tenant, patch: TenantPatch, *, actor: str) -> Tenant:
        tid = tenant.id
        sets = ["params = $2::jsonb", "puntos = $3::jsonb", "timbrados = $4::jsonb", "nombre = $5"]
        args: list[Any] = [
            tid,
            json.dumps(patch.params),
            json.dumps({k: list(v) for k, v in patch.puntos.items()}),
            json.dumps([t.as_dict() for t in patch.timbrados]),
            str(patch.params.get("razonSocial") or tenant.nombre),
        ]

        def put(column: str, value: Any) -> None:
            args.append(value)
            sets.append(f"{column} = ${len(args)}")

        if patch.csc is not None:
            put("csc_id", patch.csc[0])
            put("csc_sealed", self._box.seal_text(patch.csc[1], _aad(tid, "csc")))
        if patch.certificate is not None:
            p12, password = patch.certificate
            put("certificate_sealed", self._box.seal(p12, _aad(tid, "certificate")))
            put(
                "certificate_password_sealed",
                self._box.seal_text(password, _aad(tid, "certificate_password")) if password else None,
            )
            put("certificate_not_after", inspect_certificate(p12, password).not_after)
        if patch.logo_changed:
            logo = patch.logo if isinstance(patch.logo, Logo) else None
            put("logo", logo.content if logo else None)
            put("logo_media_type", logo.media_type if logo else None)
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", tid)
            row = await conn.fetchrow(
                f"UPDATE tenants SET {', '.join(sets)}, updated_at = now() WHERE id = $1 RETURNING *", *args
            )
            if patch.changes:
                await append_change(conn, tid, actor=actor, action="editada", changes=patch.changes)
        if row is None:
            raise KeyError(str(tid))
        if patch.mail is not None:
            await TenantMailRepository(self._pool, self._box).update(tid, patch.mail)
        return tenant_from_row(row)

    async def set_environment(
        self, tenant: Tenant, environment: Environment, base_url: str, *, actor: str
    ) -> Tenant:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", tenant.id)
            row = await conn.fetchrow(
                "UPDATE tenants SET environment = $2, sifen_base_url = $3, updated_at = now()"
                " WHERE id = $1 RETURNING *",
                tenant.id,
                environment.value,
                base_url,
            )
            change = {"campo": "ambiente", "antes": tenant.environment.value, "despues": environment.value}
            await append_change(conn, tenant.id, actor=actor, action="ambiente", changes=[change])
        if row is None:
            raise KeyError(str(tenant.id))
        return tenant_from_row(row)

    async def record_created(self, tenant: Tenant, *, actor: str, provisioned: list[str]) -> None:
        change: dict[str, Any] = {
            "campo": "empresa",
            "slug": tenant.slug,
            "ambiente": tenant.environment.value,
        }
        if provisioned:
            change["generado"] = provisioned  # test certificate / CSC issued for simulado
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE", tenant.id)
            await append_change(conn, tenant.id, actor=actor, action="creada", changes=[change])

    async def history(self, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
        return await read_history(self._pool, tenant_id)

    async def logo(self, tenant_id: uuid.UUID) -> Logo | None:
        row = await self._pool.fetchrow("SELECT logo, logo_media_type FROM tenants WHERE id = $1", tenant_id)
        if row is None or row["logo"] is None:
            return None
        return Logo(str(row["logo_media_type"]), bytes(row["logo"]))
