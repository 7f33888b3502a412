"""Gateway intake benchmark on the real PostgreSQL: lote/create of 50 over real HTTP.

Measures what the gateway itself costs (validate, number, CDC, intake rows, DocumentRequested +
outbox + request artifact in one transaction); the pipeline behind it is not running.
Run: .venv/bin/python bench/bench_gateway.py   (needs PostgreSQL on 127.0.0.1:5432)
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from sifenflow_common.db.pool import create_pool
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Role
from sifenflow_common.tenants.repository import ApiKeyRepository, TenantRepository
from sifenflow_common.testing import pg
from sifenflow_gateway.app import create_app, postgres_deps, secret_box
from sifenflow_gateway.settings import GatewaySettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.*
from tests.unit.gateway.samples import factura, tenant_body

LOTES = 60  # 3,000 documents
CONCURRENCY = int(sys.argv[1]) if len(sys.argv) > 1 else 4
SIZE = 50
BULK_DOCS = 10_000


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bulk_phase(client: TestClient[Any, Any], headers: dict[str, str]) -> tuple[int, float]:
    """10,000 documents through POST /bulk until the batch is completado (all numbered + requested)."""
    ndjson = "\n".join(json.dumps(factura()) for _ in range(BULK_DOCS)).encode()
    began = time.perf_counter()
    resp = await client.post("/bench/bulk", data=ndjson, headers=headers)
    assert resp.status == 202, await resp.text()
    batch = (await resp.json())["batchId"]
    while True:
        status = await (await client.get(f"/bench/bulk/{batch}", headers=headers)).json()
        if status["status"] in ("completado", "fallido"):
            break
        await asyncio.sleep(0.2)
    assert status["accepted"] == BULK_DOCS, status
    return BULK_DOCS, time.perf_counter() - began


async def main() -> None:
    name = await pg.create_template(f"sifenflow_gw_bench_{uuid.uuid4().hex[:6]}")
    pool = await create_pool(pg.dsn_for(name), min_size=2, max_size=10)
    try:
        settings = GatewaySettings(
            master_key="bench-master-key-0123456789",
            sync_wait_seconds=0,
            rate_limit_per_second=1e6,
            rate_limit_burst=1_000_000,
        )
        data, _ = parse_tenant_input(tenant_body("bench"))
        assert data is not None
        tenant = await TenantRepository(pool, secret_box(settings), settings.sim_base_url).create(data)
        _, token = await ApiKeyRepository(pool).create(tenant.id, Role.EMISOR, "bench")
        client: TestClient[Any, Any] = TestClient(
            TestServer(create_app(settings, postgres_deps(pool, settings)))
        )
        await client.start_server()
        headers = {"Authorization": f"Bearer {token}"}
        body = [factura() for _ in range(SIZE)]
        latencies: list[float] = []
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(LOTES):
            queue.put_nowait(n)

        async def worker() -> None:
            while not queue.empty():
                queue.get_nowait()
                start = time.perf_counter()
                resp = await client.post("/bench/lote/create", json=body, headers=headers)
                assert resp.status == 200, await resp.text()
                await resp.read()
                latencies.append(time.perf_counter() - start)

        await client.post("/bench/lote/create", json=body, headers=headers)  # warm-up
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - began
        bulk_docs, bulk_elapsed = await bulk_phase(client, headers)
        await client.close()
        docs = LOTES * SIZE
        ms = [x * 1000 for x in latencies]
        print(f"gateway lote/create(50): {docs} docs in {elapsed:.2f} s = {docs / elapsed:.0f} docs/s "
              f"(concurrency {CONCURRENCY})")  # fmt: skip
        print(
            f"latency per lote/create(50): p50 {pct(ms, 50):.1f} ms, p95 {pct(ms, 95):.1f} ms, "
            f"p99 {pct(ms, 99):.1f} ms, mean {statistics.mean(ms):.1f} ms"
        )
        print(
            f"gateway /bulk: {bulk_docs} docs NDJSON → 202 → completado in {bulk_elapsed:.2f} s"
            f" = {bulk_docs / bulk_elapsed:.0f} docs/s"
        )
    finally:
        await pool.close()
        await pg.drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
