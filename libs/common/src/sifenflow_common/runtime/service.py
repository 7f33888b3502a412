"""``run_service(settings, build)``: the one run loop every service uses.

Opens the pool and the bus, asks ``build(settings, deps)`` for the handler table and background
tasks, consumes, serves ``/healthz`` ``/readyz`` ``/metrics``, waits for SIGTERM/SIGINT, then drains:
stop taking deliveries, let in-flight handlers finish and ack, stop background tasks, close.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiohttp import web

from sifenflow_common.artifacts import ArtifactStore, InMemoryArtifactStore, PostgresArtifactStore
from sifenflow_common.bus.inprocess import InProcessBus
from sifenflow_common.bus.ports import PARKING_QUEUE, Bus
from sifenflow_common.bus.rabbit import RabbitBus
from sifenflow_common.db.pool import censor_dsn, create_pool
from sifenflow_common.eventstore.memory import InMemoryEventStore
from sifenflow_common.eventstore.ports import EventStore
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.messages.registry import MessageRegistry, default_registry
from sifenflow_common.outbox.settle import OutboxSettler
from sifenflow_common.runtime.consumer import Consumer, Handler
from sifenflow_common.runtime.http_server import JsonErrorAppRunner
from sifenflow_common.runtime.logging import configure_logging, get_logger
from sifenflow_common.runtime.memory import freeze_startup_heap
from sifenflow_common.runtime.metrics import Metrics
from sifenflow_common.runtime.settings import Settings

log = get_logger(__name__)

READINESS_TIMEOUT_S = 2.0
BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]  # runs until the event is set


@dataclass
class ServiceDeps:
    """Adapters built once at startup and handed to ``build``; tests pass fakes instead."""

    settings: Settings
    store: EventStore
    artifacts: ArtifactStore
    bus: Bus
    registry: MessageRegistry
    metrics: Metrics
    pool: asyncpg.Pool | None = None


@dataclass
class ServicePlan:
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    tasks: Sequence[BackgroundTask] = ()


Build = Callable[[Settings, ServiceDeps], "ServicePlan | Awaitable[ServicePlan]"]


@asynccontextmanager
async def open_deps(settings: Settings, metrics: Metrics | None = None) -> AsyncIterator[ServiceDeps]:
    """Postgres when DATABASE_URL is set (else in-memory), RabbitMQ when AMQP_URL is set (else in-process)."""
    metrics = metrics or Metrics(settings.service_name)
    async with AsyncExitStack() as stack:
        pool: asyncpg.Pool | None = None
        store: EventStore
        artifacts: ArtifactStore
        if settings.database_url:
            log.info("connecting to postgres", dsn=censor_dsn(settings.database_url))
            pool = await create_pool(
                settings.database_url,
                min_size=settings.db_pool_min,
                max_size=settings.db_pool_max,
                application_name=settings.service_name,
            )
            stack.push_async_callback(pool.close)
            store = PostgresEventStore(pool, settings.topology)
            artifacts = PostgresArtifactStore(pool)
        else:
            store, artifacts = InMemoryEventStore(), InMemoryArtifactStore()
        bus: Bus
        if settings.amqp_url:
            rabbit = RabbitBus(
                settings.amqp_url,
                topology=settings.topology,
                retry=settings.retry_policy,
                prefetch=settings.prefetch,
                observer=metrics,
                connection_name=settings.service_name,
            )
            await rabbit.start()
            stack.push_async_callback(rabbit.close)
            bus = rabbit
        else:
            settler = None
            if pool is not None:  # the outbox rows are the in-memory queues' durable copy
                settler = OutboxSettler(pool)
                await settler.requeue_unsettled()
                stack.push_async_callback(settler.close)
            inproc = InProcessBus(
                settings.topology, settings.retry_policy, settings.prefetch, metrics, settler
            )
            stack.push_async_callback(inproc.close)
            bus = inproc
        yield ServiceDeps(settings, store, artifacts, bus, default_registry(), metrics, pool)


async def database_reachable(pool: asyncpg.Pool) -> bool:
    """One ``SELECT 1`` through the pool within READINESS_TIMEOUT_S (a probe answers before kubelet's)."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_S):
            await pool.fetchval("SELECT 1")
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    return True


class ServiceRuntime:
    """A started service: ``start()``, then ``stop()`` (or SIGTERM) and ``wait()``."""

    def __init__(self, settings: Settings, build: Build, deps: ServiceDeps | None = None) -> None:
        self.settings = settings
        self.build = build
        self._given_deps = deps
        self.deps: ServiceDeps | None = deps
        self.stop_event = asyncio.Event()
        self.ready = False
        self.port: int | None = None
        self._stack = AsyncExitStack()
        self._task_stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> ServiceRuntime:
        settings = self.settings
        try:
            if self.deps is None:
                self.deps = await self._stack.enter_async_context(open_deps(settings))
            deps = self.deps
            plan = self.build(settings, deps)
            if inspect.isawaitable(plan):
                plan = await plan
            assert isinstance(plan, ServicePlan)
            await self._serve_http(deps)
            for n, task in enumerate(plan.tasks):
                self._tasks.append(
                    asyncio.create_task(task(self._task_stop), name=f"{settings.service_name}:{n}")
                )
            if plan.handlers:
                consumer = Consumer(
                    deps.store,
                    plan.handlers,
                    consumer=settings.service_name,
                    producer=settings.producer,
                    registry=deps.registry,
                    metrics=deps.metrics,
                )
                await deps.bus.subscribe(settings.service_name, consumer.types, consumer)
            self._tasks.append(
                asyncio.create_task(self._sample_queues(deps), name=f"{settings.service_name}:queues")
            )
        except BaseException:
            await self._stack.aclose()
            raise
        self.ready = True
        log.info("service started", service=settings.service_name, port=self.port)
        return self

    async def _serve_http(self, deps: ServiceDeps) -> None:
        async def healthz(_: web.Request) -> web.Response:
            return web.json_response({"status": "ok"})

        async def readyz(_: web.Request) -> web.Response:
            problems: list[str] = []
            if not self.ready:
                problems.append("starting" if not self.stop_event.is_set() else "stopping")
            if isinstance(deps.bus, RabbitBus) and not deps.bus.ready:
                problems.append("amqp")
            if deps.pool is not None and not await database_reachable(deps.pool):
                problems.append("postgres")
            status = 200 if not problems else 503
            return web.json_response(
                {"status": "ready" if not problems else "not ready", "problems": problems}, status=status
            )

        async def metrics(_: web.Request) -> web.Response:
            return web.Response(body=deps.metrics.render(), content_type="text/plain", charset="utf-8")

        app = web.Application()
        app.router.add_get("/healthz", healthz)
        app.router.add_get("/readyz", readyz)
        app.router.add_get("/metrics", metrics)
        runner = JsonErrorAppRunner(app, access_log=None)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, self.settings.http_host, self.settings.http_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.http_port

    async def _sample_queues(self, deps: ServiceDeps) -> None:
        """Queue depths into the gauges every METRICS_INTERVAL_S until the runtime stops."""
        parking = deps.settings.topology.prefix + PARKING_QUEUE
        while not self._task_stop.is_set():
            try:
                depths = await deps.bus.queue_depths()
            except Exception as exc:  # the broker may be away; readiness reports that
                log.warning("queue depths unavailable", error=str(exc))
            else:
                for queue, count in depths.items():
                    if queue == parking:
                        deps.metrics.parked_messages.set(count)
                    else:
                        deps.metrics.queue_messages.labels(self.settings.service_name, queue).set(count)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.metrics_interval_s):
                    await self._task_stop.wait()

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, self.stop_event.set)

    def stop(self) -> None:
        self.stop_event.set()

    async def wait(self) -> None:
        """Wait for stop, then drain and close everything."""
        await self.stop_event.wait()
        await self.shutdown()

    async def shutdown(self) -> None:
        self.ready = False
        self.stop_event.set()
        timeout = self.settings.shutdown_timeout_s
        try:
            if self.deps is not None:
                try:
                    async with asyncio.timeout(timeout):
                        await self.deps.bus.stop_consuming()  # in-flight handlers finish and ack
                except TimeoutError:
                    log.warning("in-flight handlers did not finish in time", timeout=timeout)
            self._task_stop.set()
            if self._tasks:
                _, pending = await asyncio.wait(self._tasks, timeout=timeout)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            await self._stack.aclose()
        log.info("service stopped", service=self.settings.service_name)


async def run_service(settings: Settings, build: Build, *, deps: ServiceDeps | None = None) -> None:
    """Run one service until SIGTERM/SIGINT; ``main()`` calls ``asyncio.run(run_service(...))``."""
    configure_logging(settings.log_level, json=settings.log_json, service=settings.service_name)
    runtime = ServiceRuntime(settings, build, deps)
    runtime.install_signal_handlers()
    await runtime.start()
    freeze_startup_heap()
    await runtime.wait()
