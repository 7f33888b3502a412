"""create_app(settings, deps) -> web.Application, and the wiring of the real adapters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from functools import partial

import asyncpg
from aiohttp import web

from sifenflow_common.crypto import SecretBox
from sifenflow_common.db.pool import create_pool
from sifenflow_common.runtime.logging import get_logger
from sifenflow_common.runtime.service import database_reachable
from sifenflow_common.sifen.test_ca import default_test_ca_dir
from sifenflow_common.tenants.company import CompanyAdmin
from sifenflow_common.tenants.editing import TenantEditor
from sifenflow_common.tenants.repository import ApiKeyRepository, TenantRepository
from sifenflow_common.tenants.simulado import SimulatorRegistrar
from sifenflow_gateway.accounts import postgres_accounts
from sifenflow_gateway.adapters.catalogs import EngineCatalogs
from sifenflow_gateway.adapters.directory import PgTenantDirectory
from sifenflow_gateway.adapters.engine import EngineAdapter
from sifenflow_gateway.adapters.eventstore_sink import EventStoreSink
from sifenflow_gateway.adapters.kude_documents import PgKudeDocuments
from sifenflow_gateway.adapters.postgres_intake import PgIntakeStore
from sifenflow_gateway.adapters.readmodel_status import ReadModelStatusReader
from sifenflow_gateway.adapters.search import SearchReadModel
from sifenflow_gateway.audit import audit_middleware
from sifenflow_gateway.correlation import correlation_middleware
from sifenflow_gateway.deps import GatewayDeps
from sifenflow_gateway.errors import error_middleware
from sifenflow_gateway.handlers.bulk import resume_unfinished
from sifenflow_gateway.keys import BACKGROUND, DEPS, METRICS, RATE_LIMITER, SETTINGS
from sifenflow_gateway.lifecycle import postgres_lifecycle
from sifenflow_gateway.metrics import GatewayMetrics
from sifenflow_gateway.metrics_http import metrics_middleware
from sifenflow_gateway.ratelimit import LocalRateLimiter, PgRateLimiter
from sifenflow_gateway.routes import setup_routes
from sifenflow_gateway.security_headers import add_security_headers
from sifenflow_gateway.settings import GatewaySettings

log = get_logger(__name__)


IDEMPOTENCY_PURGE_EVERY_S = 3600.0


async def _purge_idempotency_keys(app: web.Application, every_s: float) -> None:
    ttl = timedelta(hours=app[SETTINGS].idempotency_ttl_hours)
    while True:
        try:
            purged = await app[DEPS].intake.purge_idempotency(ttl)
            if purged:
                log.info("idempotency keys purged", purged=purged)
        except Exception:  # the database may be briefly away: try again next time
            log.exception("idempotency key purge failed")
        await asyncio.sleep(every_s)


async def _purge_expired_sign_ins(app: web.Application, every_s: float) -> None:
    accounts = app[DEPS].accounts
    assert accounts is not None
    while True:
        try:
            purged = await accounts.sessions.purge_expired(timedelta(days=1))
            if purged:
                log.info("expired sign-in tokens purged", purged=purged)
        except Exception:  # the database may be briefly away: try again next time
            log.exception("sign-in token purge failed")
        await asyncio.sleep(every_s)


async def _background(app: web.Application) -> AsyncIterator[None]:
    if app[SETTINGS].resume_bulk_on_start:
        await resume_unfinished(app)
    if app[SETTINGS].idempotency_ttl_hours > 0:
        task = asyncio.create_task(_purge_idempotency_keys(app, IDEMPOTENCY_PURGE_EVERY_S))
        app[BACKGROUND].add(task)
        task.add_done_callback(app[BACKGROUND].discard)
    if app[DEPS].accounts is not None:
        task = asyncio.create_task(_purge_expired_sign_ins(app, IDEMPOTENCY_PURGE_EVERY_S))
        app[BACKGROUND].add(task)
        task.add_done_callback(app[BACKGROUND].discard)
    yield
    tasks = [*app[BACKGROUND]]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def create_app(settings: GatewaySettings, deps: GatewayDeps) -> web.Application:
    # client_max_size bounds aiohttp's own buffering; handlers enforce per-route limits while streaming.
    app = web.Application(
        middlewares=[correlation_middleware, metrics_middleware, audit_middleware, error_middleware],
        client_max_size=max(settings.max_body_bytes, settings.max_bulk_bytes),
    )
    app[SETTINGS] = settings
    app[DEPS] = deps
    app[RATE_LIMITER] = deps.rate_limiter or LocalRateLimiter(
        settings.rate_limit_per_second, settings.rate_limit_burst
    )
    app[BACKGROUND] = set()
    app[METRICS] = GatewayMetrics()
    app.cleanup_ctx.append(_background)
    app.on_response_prepare.append(add_security_headers)
    setup_routes(app)
    return app


def secret_box(settings: GatewaySettings) -> SecretBox:
    keys = [settings.master_key_text()]
    keys += [k.get_secret_value() for k in settings.old_master_keys]
    return SecretBox(keys)


def postgres_deps(pool: asyncpg.Pool, settings: GatewaySettings) -> GatewayDeps:
    tenants = TenantRepository(pool, secret_box(settings), settings.sim_base_url)
    sink = EventStoreSink(settings.topology, settings.producer)
    return GatewayDeps(
        directory=PgTenantDirectory(tenants, ApiKeyRepository(pool)),
        intake=PgIntakeStore(pool, sink),
        status=ReadModelStatusReader(pool),
        engine=EngineAdapter(),
        catalogs=EngineCatalogs(),
        kude=PgKudeDocuments(pool, secret_box(settings), settings.topology, settings.producer),
        lifecycle=postgres_lifecycle(pool, secret_box(settings), settings),
        rate_limiter=PgRateLimiter(pool, settings.rate_limit_per_second, settings.rate_limit_burst),
        search=SearchReadModel(pool),
        readiness=partial(_database_problems, pool),
        company=company_admin(pool, tenants, settings),
        accounts=postgres_accounts(pool, settings),
    )


def company_admin(pool: asyncpg.Pool, tenants: TenantRepository, settings: GatewaySettings) -> CompanyAdmin:
    token = settings.sifen_sim_admin_token
    registrar = SimulatorRegistrar(
        settings.sim_admin_url or settings.sim_base_url, token.get_secret_value() if token else None
    )
    ca_dir = settings.test_ca_dir or default_test_ca_dir()
    return CompanyAdmin(pool, tenants, TenantEditor(pool, secret_box(settings)), registrar, ca_dir)


async def _database_problems(pool: asyncpg.Pool) -> list[str]:
    return [] if await database_reachable(pool) else ["postgres"]


async def build_app(settings: GatewaySettings) -> web.Application:
    """The production app: pool opened/closed with the app, real adapters."""
    if settings.database_url is None:
        raise RuntimeError("DATABASE_URL is required to serve the gateway (make run embeds Postgres)")
    pool = await create_pool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        application_name="gateway",
    )
    app = create_app(settings, postgres_deps(pool, settings))

    async def close(_: web.Application) -> None:
        await pool.close()

    app.on_cleanup.append(close)
    return app
