"""Webhook delivery benchmark on the real PostgreSQL of this machine and a local aiohttp receiver.

Queues N deliveries (one per document, 4 subscriptions) in the notifier's delivery table, then runs
the notifier's dispatcher (lease claim → HMAC signature → HTTP POST → record) until all are
delivered. Prints deliveries/s and p50/p95/p99 latency from queueing to receipt.
Run: ``python bench/bench_webhooks.py`` (``BENCH_WEBHOOKS=<n>`` to change N, default 4000).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web

from sifenflow_common.crypto import SecretBox
from sifenflow_common.db.pool import create_pool
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.repository import TenantRepository
from sifenflow_common.testing import pg
from sifenflow_common.webhooks.model import NewDelivery
from sifenflow_common.webhooks.payload import body, delivery_id
from sifenflow_common.webhooks.repository import WebhookRepository
from sifenflow_common.webhooks.settings import WebhookSettings
from sifenflow_notifier.dispatcher import Dispatcher

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.*
from tests.unit.gateway.samples import tenant_body

N = int(os.environ.get("BENCH_WEBHOOKS", "4000"))
SUBSCRIPTIONS = 4


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> None:
    name = await pg.create_template(f"sifenflow_lc_bench_{uuid.uuid4().hex[:8]}")
    pool = await create_pool(pg.dsn_for(name), min_size=2, max_size=10)
    received: dict[str, float] = {}
    done = asyncio.Event()

    async def receive(request: web.Request) -> web.Response:
        await request.read()
        received[request.headers["X-Sifenflow-Delivery"]] = time.monotonic()
        if len(received) >= N:
            done.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        box = SecretBox(["bench-master-key-0123456789abcdef"])
        data, _ = parse_tenant_input(tenant_body("bench"))
        assert data is not None
        tenant = await TenantRepository(pool, box, "http://127.0.0.1:1").create(data)
        settings = WebhookSettings(allow_private_urls=True, concurrency=64, poll_interval_s=0.05)
        repo = WebhookRepository(pool, box)
        subs = [
            (await repo.create(tenant.id, f"http://127.0.0.1:{port}/hook", ["document.approved"], None))[0]
            for _ in range(SUBSCRIPTIONS)
        ]
        deliveries = []
        for i in range(N):
            sub = subs[i % SUBSCRIPTIONS]
            source = uuid.uuid4()
            did = delivery_id(sub.id, source)
            deliveries.append(
                NewDelivery(
                    did,
                    sub.id,
                    tenant.id,
                    "document.approved",
                    source,
                    f"document-{uuid.uuid4()}",
                    body(
                        delivery=did,
                        event_type="document.approved",
                        tenant_id=tenant.id,
                        occurred_at=datetime.now(UTC),
                        data={"cdc": "0" * 44, "estado": "Aprobado", "situacion": 2, "n": i},
                    ),
                )
            )
        queued_at = time.monotonic()
        for start in range(0, N, 500):
            await repo.enqueue(deliveries[start : start + 500])
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64)) as session:
            dispatcher = Dispatcher(repo, session, settings)
            stop = asyncio.Event()
            started = time.monotonic()
            task = asyncio.create_task(dispatcher.run(stop))
            await asyncio.wait_for(done.wait(), timeout=120)
            elapsed = time.monotonic() - started
            stop.set()
            await task
        latencies = [(t - queued_at) * 1000 for t in received.values()]
        delivered = await pool.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'")
        print(f"webhook deliveries: {N} to {SUBSCRIPTIONS} subscriptions on a local receiver")
        print(f"  {N / elapsed:,.0f} deliveries/s ({elapsed:.2f} s); recorded delivered: {delivered}")
        print(
            f"  latency from queueing: p50 {pct(latencies, 0.5):.0f} ms, p95 {pct(latencies, 0.95):.0f} ms,"
            f" p99 {pct(latencies, 0.99):.0f} ms (mean {statistics.mean(latencies):.0f} ms)"
        )
    finally:
        await runner.cleanup()
        await pool.close()
        await pg.drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
