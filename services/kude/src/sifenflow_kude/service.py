"""The kude service: renders the KuDE of approved documents of tenants that want eager PDFs.

``build(settings, deps)`` wires the handler table with one render thread (``RenderWorker``:
weasyprint is not thread-safe; rendering never blocks the event loop) and the shared KuDE cache
(``kude_pdfs`` + artifacts). The eager decision is per tenant (``tenants.kude_eager``, set with
``PUT /admin/tenants/{id}/mail`` or ``sifenflow tenant set-mail``); ``KUDE_EAGER=1`` makes every
tenant eager. Without a database and without ``KUDE_EAGER`` the service subscribes to nothing.
Scale by running more processes. ``serve(settings)`` is the entry point (``python -m sifenflow_kude``).
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from pydantic_settings import BaseSettings, SettingsConfigDict

from sifenflow_common.kude.cache import InMemoryKudeCache, KudeCache, KudePdfs, PostgresKudeCache
from sifenflow_common.kude.worker import RenderWorker
from sifenflow_common.runtime.service import ServiceDeps, ServicePlan, run_service
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.tenants.mail import kude_eager
from sifenflow_kude.handlers import EagerPolicy, KudeHandlerDeps, handler_table


class KudeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KUDE_", frozen=True)

    eager: bool = False  # render every tenant's approved documents at once (overrides the tenant flag)


def build(settings: Settings, deps: ServiceDeps, kude: KudeSettings | None = None) -> ServicePlan:
    kude = kude or KudeSettings()
    pool = deps.pool
    if not kude.eager and pool is None:
        return ServicePlan()
    eager: EagerPolicy
    if kude.eager:

        async def always(tenant_id: UUID) -> bool:
            return True

        eager = always
    else:
        assert pool is not None

        async def per_tenant(tenant_id: UUID) -> bool:
            return await kude_eager(pool, tenant_id)

        eager = per_tenant
    cache: KudeCache = PostgresKudeCache(pool) if pool is not None else InMemoryKudeCache()
    worker = RenderWorker()

    async def close_worker(stop: asyncio.Event) -> None:
        await stop.wait()
        worker.close()

    handler_deps = KudeHandlerDeps(
        store=deps.store,
        artifacts=deps.artifacts,
        registry=deps.registry,
        pdfs=KudePdfs(deps.artifacts, cache, worker),
        eager=eager,
    )
    return ServicePlan(handlers=handler_table(handler_deps), tasks=[close_worker])


async def serve(settings: Settings) -> None:
    await run_service(settings, build)
