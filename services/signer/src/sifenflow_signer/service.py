"""Signer service: handler table and wiring (``sifenflow serve signer``)."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from functools import partial
from uuid import UUID

from sifenflow_common.messages.events import DocumentBuilt
from sifenflow_common.messages.lifecycle import SifenEventRequested
from sifenflow_common.runtime.consumer import Handler
from sifenflow_common.runtime.service import ServiceDeps, ServicePlan, run_service
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.runtime.tenants import tenant_repository
from sifenflow_common.tenants.repository import TenantRepository
from sifenflow_signer.events import EventSigner, EventSignerDeps, on_sifen_event_requested
from sifenflow_signer.handlers import on_document_built
from sifenflow_signer.keystore import KeystoreSigner, TenantKeyMaterial
from sifenflow_signer.ports import SignerDeps

SERVICE = "signer"


class RepositoryKeyMaterial:
    """Decrypted certificate, password and CSC of a tenant, kept ``ttl_s`` seconds (bounded) so a
    lote does not read and decrypt them 50 times; a changed certificate is picked up after ``ttl_s``."""

    def __init__(self, tenants: TenantRepository, ttl_s: float = 60.0, max_entries: int = 256) -> None:
        self._tenants = tenants
        self._ttl_s = ttl_s
        self._max = max_entries
        self._cache: OrderedDict[UUID, tuple[float, TenantKeyMaterial]] = OrderedDict()

    async def key_material(self, tenant_id: UUID) -> TenantKeyMaterial:
        hit = self._cache.get(tenant_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        material = await self._load(tenant_id)
        self._cache[tenant_id] = (time.monotonic() + self._ttl_s, material)
        self._cache.move_to_end(tenant_id)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)
        return material

    async def _load(self, tenant_id: UUID) -> TenantKeyMaterial:
        tenant = await self._tenants.get(tenant_id)
        if tenant is None:
            raise LookupError(str(tenant_id))
        secrets = await self._tenants.load_secrets(tenant_id)
        return TenantKeyMaterial(
            p12=secrets.certificate_p12,
            password=secrets.certificate_password,
            csc_id=secrets.csc_id,
            csc=secrets.csc,
            environment=tenant.environment.value,
        )


def handlers(deps: SignerDeps, events: EventSignerDeps | None = None) -> dict[str, Handler]:
    table: dict[str, Handler] = {DocumentBuilt.TYPE: partial(on_document_built, deps=deps)}
    if events is not None:
        table[SifenEventRequested.TYPE] = partial(on_sifen_event_requested, deps=events)
    return table


def signer_deps(settings: Settings, deps: ServiceDeps) -> SignerDeps:
    assert deps.pool is not None, "the signer reads tenant keys from Postgres (DATABASE_URL)"
    signer = KeystoreSigner(RepositoryKeyMaterial(tenant_repository(settings, deps.pool)))
    return SignerDeps(deps.store, deps.artifacts, signer, producer=settings.producer)


def event_signer_deps(settings: Settings, deps: ServiceDeps) -> EventSignerDeps:
    assert deps.pool is not None, "the signer reads tenant keys from Postgres (DATABASE_URL)"
    source = RepositoryKeyMaterial(tenant_repository(settings, deps.pool))
    return EventSignerDeps(deps.store, deps.artifacts, EventSigner(source))


def build(settings: Settings, deps: ServiceDeps) -> ServicePlan:
    return ServicePlan(handlers=handlers(signer_deps(settings, deps), event_signer_deps(settings, deps)))


def main(settings: Settings) -> None:
    asyncio.run(run_service(settings.model_copy(update={"service_name": SERVICE}), build))
