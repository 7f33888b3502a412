"""The store service: migrations, the outbox relay and the projections. No business rules.

``serve(settings)`` is what ``sifenflow serve store`` calls; ``build`` is the plan ``run_service`` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from sifenflow_common.db.migrate import migrate_dsn
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.eventstore.subscription import Projection, Subscription
from sifenflow_common.outbox import inbox
from sifenflow_common.outbox.relay import OutboxRelay
from sifenflow_common.readmodel.documents import DocumentsProjection
from sifenflow_common.readmodel.search import SearchProjection
from sifenflow_common.runtime.fleet import sample_fleet
from sifenflow_common.runtime.logging import get_logger
from sifenflow_common.runtime.recovery import RecoverySweeper
from sifenflow_common.runtime.service import BackgroundTask, ServiceDeps, ServicePlan, run_service
from sifenflow_common.runtime.settings import Settings

log = get_logger(__name__)
PURGE_EVERY_S = 3600.0
FLEET_EVERY_S = 60.0  # documents per state scans the read model: not at every gauge tick


def projections() -> Sequence[Projection]:
    return (DocumentsProjection(), SearchProjection())


def build(settings: Settings, deps: ServiceDeps) -> ServicePlan:
    if deps.pool is None:
        raise RuntimeError("the store service needs DATABASE_URL")
    pool = deps.pool
    relay = OutboxRelay(
        pool, deps.bus, batch_size=settings.relay_batch_size, poll_interval=settings.poll_interval_s
    )

    def parked(projection: str, count: int) -> None:
        deps.metrics.projection_parked.labels(projection).inc(count)

    subscriptions = [
        Subscription(
            pool,
            p,
            batch_size=settings.projection_batch_size,
            poll_interval=settings.poll_interval_s,
            on_parked=parked,
        )
        for p in projections()
    ]

    async def gauges(stop: asyncio.Event) -> None:
        published = 0
        since_purge = 0.0
        since_fleet = 0.0
        while not stop.is_set():
            if since_fleet <= 0:
                try:
                    await sample_fleet(pool, deps.metrics)
                except Exception as exc:  # the database may be away; the gauges keep their last values
                    log.warning("fleet gauges unavailable", error=str(exc))
                since_fleet = FLEET_EVERY_S
            since_fleet -= 5.0
            with contextlib.suppress(Exception):
                deps.metrics.outbox_lag.set(await relay.lag_seconds())
                deps.metrics.outbox_published.inc(relay.published_total - published)
                published = relay.published_total
                for sub in subscriptions:
                    deps.metrics.projection_lag.labels(sub.projection.name).set(await sub.lag())
                if since_purge <= 0:
                    await relay.purge(7)
                    async with pool.acquire() as conn:
                        await inbox.purge(conn, 7)
                    since_purge = PURGE_EVERY_S
            since_purge -= 5.0
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5.0):
                    await stop.wait()

    sweeper = recovery_sweeper(settings, deps)

    async def recover(stop: asyncio.Event) -> None:
        await sweeper.run(stop, settings.recovery_interval_s)

    tasks: list[BackgroundTask] = [relay.run, *(s.run for s in subscriptions), gauges, recover]
    return ServicePlan(tasks=tasks)


def recovery_sweeper(settings: Settings, deps: ServiceDeps) -> RecoverySweeper:
    """The periodic re-drive of documents and lotes stuck in a waiting state (runtime/recovery.py)."""
    if not isinstance(deps.store, PostgresEventStore):
        raise RuntimeError("the store service needs DATABASE_URL")

    def redriven(stage: str, count: int) -> None:
        deps.metrics.recovery_redriven.labels(stage).inc(count)

    return RecoverySweeper(
        deps.store,
        after_s=settings.recovery_after_s,
        max_attempts=settings.recovery_max_attempts,
        producer=settings.producer,
        on_redriven=redriven,
    )


async def serve(settings: Settings) -> None:
    """Migrate, then run relay and projections until SIGTERM."""
    if not settings.database_url:
        raise RuntimeError("the store service needs DATABASE_URL")
    applied = await migrate_dsn(settings.database_url)
    if applied:
        log.info("migrations applied", versions=[m.version for m in applied])
    await run_service(settings, build)
