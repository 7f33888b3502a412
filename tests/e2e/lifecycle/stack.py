"""The whole pipeline plus the notifier, each service its own process (``sifenflow serve``), on
the real PostgreSQL (fresh database) and RabbitMQ (fresh prefix), with the SIFEN simulator; two
emisores with different RUCs (``demo`` issues, ``receptor`` receives), driven over HTTP."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen.test_ca import ensure_test_ca, issue_test_p12
from sifenflow_notifier.handlers import SOURCE_TYPES
from sifenflow_standalone.demo import DEMO_CERT_PASSWORD, demo_tenant_body, simulator_entry
from tests.e2e.pipeline.stack import (
    SIM_PUNTOS,
    SUBSCRIPTIONS,
    Stack,
    Tenant,
    processes_stack,
)

WORKERS = ("store", "builder", "signer", "sender", "notifier")
RECEPTOR_RUC_NUMBER = "80012345"
RECEPTOR_RUC = f"{RECEPTOR_RUC_NUMBER}-{dv11(RECEPTOR_RUC_NUMBER)}"
LIFECYCLE_QUEUES = {**SUBSCRIPTIONS, "notifier": SOURCE_TYPES}


@dataclass
class LifecycleE2E:
    stack: Stack
    env: dict[str, str]
    prefix: str


async def add_receptor(stack: Stack, session: aiohttp.ClientSession) -> None:
    """A second emisor (its own RUC and certificate) that receives the demo's invoices."""
    admin = {"Authorization": f"Bearer {stack.master_key}"}
    ca = ensure_test_ca(stack.ca_dir)
    body: dict[str, Any] = demo_tenant_body(ca, slug="receptor")
    body["params"] = dict(body["params"], ruc=RECEPTOR_RUC, razonSocial="Receptor de prueba SA")
    p12 = issue_test_p12(ca, ruc=RECEPTOR_RUC, name="RECEPTOR PRUEBA", password=DEMO_CERT_PASSWORD)
    body["certificate"] = base64.b64encode(p12).decode("ascii")
    entry = dict(simulator_entry(), ruc=RECEPTOR_RUC, razon_social="Receptor de prueba SA")
    entry["timbrados"] = [dict(t, establecimientos=SIM_PUNTOS) for t in entry["timbrados"]]
    async with session.post(
        f"{stack.sim_url}/admin/contribuyentes", json=entry, headers=stack.sim_admin
    ) as response:
        assert response.status == 201, await response.text()
    async with session.post(f"{stack.url}/admin/tenants", json=body, headers=admin) as r:
        assert r.status == 201, await r.text()
        tenant_id = (await r.json())["result"]["id"]
    async with session.post(
        f"{stack.url}/admin/tenants/{tenant_id}/apikeys", json={"role": "admin"}, headers=admin
    ) as r:
        assert r.status == 201, await r.text()
        stack.tenants["receptor"] = Tenant("receptor", (await r.json())["result"]["token"])


# What the lifecycle suite adds to the pipeline's process stack: webhooks to loopback receivers,
# fast webhook retries, and no rate limit for the many requests of one test module.
LIFECYCLE_ENV = {
    "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
    "WEBHOOK_BASE_DELAY_S": "0.2",
    "WEBHOOK_TIMEOUT_S": "2",
    "RATE_LIMIT_PER_SECOND": "10000",
    "RATE_LIMIT_BURST": "10000",
}


@contextlib.asynccontextmanager
async def lifecycle_stack(tmp: Path) -> AsyncIterator[LifecycleE2E]:
    async with processes_stack(
        tmp,
        name="lifecycle",
        workers=WORKERS,
        subscriptions=LIFECYCLE_QUEUES,
        extra_env=LIFECYCLE_ENV,
        after_provision=add_receptor,
    ) as stack:
        yield LifecycleE2E(stack, stack.env, stack.prefix)
