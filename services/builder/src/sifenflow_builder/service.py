"""Builder service: handler table and wiring (``sifenflow serve builder``)."""

from __future__ import annotations

import asyncio
from functools import partial

from sifenflow_builder.adapters import Engine, RepositoryTenantParams
from sifenflow_builder.handlers import on_document_requested
from sifenflow_builder.ports import BuilderDeps, TenantParams
from sifenflow_common.messages.events import DocumentRequested
from sifenflow_common.runtime.consumer import Handler
from sifenflow_common.runtime.service import ServiceDeps, ServicePlan, run_service
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.runtime.tenants import tenant_repository

SERVICE = "builder"


def handlers(deps: BuilderDeps) -> dict[str, Handler]:
    return {DocumentRequested.TYPE: partial(on_document_requested, deps=deps)}


def builder_deps(settings: Settings, deps: ServiceDeps, tenants: TenantParams | None = None) -> BuilderDeps:
    if tenants is None:
        assert deps.pool is not None, "the builder reads tenants from Postgres (DATABASE_URL)"
        tenants = RepositoryTenantParams(tenant_repository(settings, deps.pool))
    return BuilderDeps(deps.store, deps.artifacts, tenants, Engine(), producer=settings.producer)


def build(settings: Settings, deps: ServiceDeps) -> ServicePlan:
    return ServicePlan(handlers=handlers(builder_deps(settings, deps)))


def main(settings: Settings) -> None:
    asyncio.run(run_service(settings.model_copy(update={"service_name": SERVICE}), build))
