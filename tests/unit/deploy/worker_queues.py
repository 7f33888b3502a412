"""The RabbitMQ queues each worker consumes, from the code itself: every worker's ``build`` runs
against a recording bus (adapters are constructed, nothing is called), as ``run_service`` would."""

from __future__ import annotations

import asyncio
import importlib
import inspect
from collections.abc import Sequence
from typing import Any

from sifenflow_cli.commands.serve import SERVICES
from sifenflow_common.artifacts import InMemoryArtifactStore
from sifenflow_common.eventstore.memory import InMemoryEventStore
from sifenflow_common.messages.registry import default_registry
from sifenflow_common.runtime.metrics import Metrics
from sifenflow_common.runtime.service import ServiceDeps, ServicePlan
from sifenflow_common.runtime.settings import Settings

# The gateway and the store consume no queue: the gateway writes the outbox, the store relays it.
WORKERS = tuple(name for name in SERVICES if name not in {"gateway", "store"})


class RecordingBus:
    def __init__(self) -> None:
        self.subscriptions: list[tuple[str, str]] = []

    async def subscribe(self, service: str, types: Sequence[str], handler: Any) -> None:
        self.subscriptions += [(service, t) for t in types]


async def _queues(name: str) -> set[str]:
    module = importlib.import_module(f"sifenflow_{name}.service")
    settings = Settings(service_name=name, master_key="m" * 32, database_url="postgresql://unused/x")
    bus = RecordingBus()
    deps = ServiceDeps(
        settings,
        InMemoryEventStore(),
        InMemoryArtifactStore(),
        bus,
        default_registry(),
        Metrics(name),
        pool=object(),  # type: ignore[arg-type]
    )
    plan = module.build(settings, deps)
    if inspect.isawaitable(plan):
        plan = await plan
    assert isinstance(plan, ServicePlan)
    stopped = asyncio.Event()
    stopped.set()
    for task in plan.tasks:  # each closes what it opened once stopped
        await asyncio.wait_for(task(stopped), 10)
    topology = settings.topology
    return {topology.queue(service, t) for service, t in bus.subscriptions} | {
        topology.queue(name, t) for t in plan.handlers
    }


def worker_queues() -> dict[str, set[str]]:
    async def every() -> dict[str, set[str]]:
        return {name: await _queues(name) for name in WORKERS}

    return asyncio.run(every())
