"""Company self-service on PostgreSQL, shared by the gateway and the CLI: creation with simulado
credentials, edits, history, the go-live checklist and the environment switch; the simulator is
kept in step with simulado companies."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.tenants.changes import parse_tenant_patch
from sifenflow_common.tenants.editing import TenantEditor
from sifenflow_common.tenants.golive import TRANSITIONS, CheckItem, checklist, documents_in_flight, missing
from sifenflow_common.tenants.input import TenantInput
from sifenflow_common.tenants.model import Environment, Tenant
from sifenflow_common.tenants.repository import TenantRepository
from sifenflow_common.tenants.simulado import (
    SimulatorRegistrar,
    SimulatorRegistrationError,
    simulator_entry,
    with_simulado_credentials,
)


@dataclass(frozen=True, slots=True)
class PatchRefused(Exception):
    issues: list[ValidationIssue]


@dataclass(frozen=True, slots=True)
class SwitchRefused(Exception):
    code: str
    message: str
    checklist: list[CheckItem]


class CompanyAdmin:
    def __init__(
        self,
        pool: asyncpg.Pool,
        tenants: TenantRepository,
        editor: TenantEditor,
        registrar: SimulatorRegistrar | None,
        test_ca_dir: Path,
    ) -> None:
        self._pool = pool
        self._tenants = tenants
        self._editor = editor
        self._registrar = registrar
        self._ca_dir = test_ca_dir

    async def create(self, data: TenantInput, *, actor: str) -> tuple[Tenant, str | None]:
        """The new company and, for simulado, None or why the simulator did not take it."""
        # an RSA key is generated for the test certificate: off the event loop
        data, generated = await asyncio.to_thread(with_simulado_credentials, data, self._ca_dir)
        tenant = await self._tenants.create(data)
        await self._editor.record_created(tenant, actor=actor, provisioned=generated)
        return tenant, await self.sync_simulator(tenant)

    async def sync_simulator(self, tenant: Tenant) -> str | None:
        if tenant.environment is not Environment.SIMULADO or self._registrar is None:
            return None
        secrets = await self._tenants.load_secrets(tenant.id)
        try:
            await self._registrar.register(simulator_entry(tenant, secrets.csc_id, secrets.csc))
        except SimulatorRegistrationError as exc:  # the caller reports it (response, log)
            return str(exc)
        return None

    async def update(
        self, tenant: Tenant, body: Any, *, actor: str, today: date
    ) -> tuple[Tenant, str | None]:
        patch, issues = parse_tenant_patch(tenant, body, today=today)
        if patch is None:
            raise PatchRefused(issues)
        updated = await self._editor.apply(tenant, patch, actor=actor)
        return updated, await self.sync_simulator(updated)

    async def history(self, tenant: Tenant) -> list[dict[str, Any]]:
        return await self._editor.history(tenant.id)

    async def checklist(self, tenant: Tenant) -> list[CheckItem]:
        history = await self._editor.history(tenant.id)
        return checklist(
            tenant,
            await self._tenants.load_secrets(tenant.id),
            csc_generated=_csc_generated(history),
            smtp_configured=bool(tenant.smtp.get("host")),
            test_ca_dir=self._ca_dir,
            in_flight=await documents_in_flight(self._pool, tenant.id),
        )

    async def switch(self, tenant: Tenant, target: Environment, *, actor: str) -> Tenant:
        if target not in TRANSITIONS[tenant.environment]:
            allowed = ", ".join(sorted(e.value for e in TRANSITIONS[tenant.environment]))
            raise SwitchRefused(
                "CAMBIO_DE_AMBIENTE_INVALIDO",
                f"Desde {tenant.environment.value} solo se puede pasar a: {allowed}",
                [],
            )
        items = await self.checklist(tenant)
        if missing(items):
            raise SwitchRefused(
                "AMBIENTE_REQUISITOS_PENDIENTES",
                "Faltan requisitos para cambiar de ambiente: " + "; ".join(i.message for i in missing(items)),
                items,
            )
        return await self._editor.set_environment(
            tenant, target, self._tenants.base_url_for(target), actor=actor
        )


def _csc_generated(history: list[dict[str, Any]]) -> bool:
    """True while the CSC in use is the one generated for simulado (none set by the company since)."""
    generated = False
    for entry in history:
        for change in entry["cambios"]:
            if change.get("campo") == "empresa":
                generated = "csc" in change.get("generado", [])
            elif change.get("campo") == "csc":
                generated = False
    return generated
