"""End-to-end benchmark: documents through gateway → builder → signer → sender → SIFEN simulator,
KUDE off, every service its own process on the real PostgreSQL and RabbitMQ of this machine
(``--mode processes``, default) or ``sifenflow run`` (``--mode standalone``).

Two runs of ``--n`` documents each (default 1,000 so ``make bench`` stays short; the issue's
figure is ``--n 10000``):
- ``/bulk``: one NDJSON POST; docs/s from the POST to the last ``Aprobado``;
- ``lote/create`` in 50s (``--clients`` concurrent): docs/s from the first POST to the last
  ``Aprobado``, and p50/p95/p99 latency of ``lote/create`` (50 documents).
"Aprobado" is read from the documents read model (``document_status``).

Run: ``python bench/bench_e2e.py [--n 1000] [--mode processes|standalone] [--clients 4]``.
Targets: ≥300 docs/s sustained, p95 lote/create(50) ≤150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.e2e

from bench.cpu_accounting import report as cpu_report
from bench.cpu_accounting import sample as cpu_sample
from tests.e2e.pipeline.stack import Stack, bearer, processes_stack, standalone_stack

from sifenflow_standalone.demo import DEMO_SLUG, demo_invoice


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def dsn_of(stack: Stack, tmp: Path) -> str:
    if stack.mode == "standalone":
        return f"postgresql://postgres:@/postgres?host={tmp / 'data' / 'pg'}"
    return stack.database_url


async def approved_count(pool: asyncpg.Pool) -> tuple[int, int]:
    row = await pool.fetchrow(
        "SELECT count(*) FILTER (WHERE status LIKE 'approved%') AS ok,"
        " count(*) FILTER (WHERE status = 'rejected') AS ko FROM document_status"
    )
    assert row is not None
    return int(row["ok"]), int(row["ko"])


async def wait_approved(pool: asyncpg.Pool, target: int, limit_s: float) -> float:
    """Monotonic time when ``target`` documents are approved (progress every ~5 s)."""
    deadline = time.monotonic() + limit_s
    last_report = 0.0
    while True:
        ok, ko = await approved_count(pool)
        now = time.monotonic()
        if ok >= target:
            return now
        if ko:
            raise RuntimeError(f"{ko} documents rejected")
        if now > deadline:
            raise TimeoutError(f"only {ok}/{target} approved")
        if now - last_report > 5:
            print(f"    ... {ok}/{target} aprobados", flush=True)
            last_report = now
        await asyncio.sleep(0.1)


async def bulk_run(stack: Stack, pool: asyncpg.Pool, n: int) -> float:
    demo = stack.tenants[DEMO_SLUG]
    start_ok, _ = await approved_count(pool)
    body = "\n".join(json.dumps(demo_invoice()) for _ in range(n)).encode()
    headers = {**bearer(demo), "Content-Type": "application/x-ndjson"}
    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        async with session.post(f"{stack.url}/{demo.slug}/bulk", data=body, headers=headers) as response:
            assert response.status == 202, await response.text()
        done = await wait_approved(pool, start_ok + n, limit_s=max(120.0, n / 20))
    return n / (done - started)


async def lote_run(
    stack: Stack, pool: asyncpg.Pool, n: int, clients: int, pace: float = 0.0
) -> tuple[float, list[float]]:
    """``clients`` concurrent clients posting lotes of 50 back to back (closed loop), or, with
    ``pace`` (docs/s), one lote every 50/pace seconds however long the previous ones take (open
    loop: the latency a steady stream of lotes sees at that rate)."""
    demo = stack.tenants[DEMO_SLUG]
    start_ok, _ = await approved_count(pool)
    lotes = [[demo_invoice() for _ in range(50)] for _ in range(n // 50)]
    queue: asyncio.Queue[list[dict[str, object]]] = asyncio.Queue()
    for lote in lotes:
        queue.put_nowait(lote)
    latencies: list[float] = []
    begin = time.monotonic()
    sent = 0

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal sent
        while not queue.empty():
            lote = queue.get_nowait()
            if pace:
                sent += 1
                await asyncio.sleep(max(0.0, begin + (sent - 1) * 50 / pace - time.monotonic()))
            t0 = time.perf_counter()
            async with session.post(
                f"{stack.url}/{demo.slug}/lote/create", json=lote, headers=bearer(demo)
            ) as r:
                body = await r.read()
                assert r.status == 200, (r.status, body[:500])
            latencies.append((time.perf_counter() - t0) * 1000)

    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        await asyncio.gather(*(client(session) for _ in range(len(lotes) if pace else clients)))
        done = await wait_approved(pool, start_ok + len(lotes) * 50, limit_s=max(120.0, n / 20))
    return len(lotes) * 50 / (done - started), latencies


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000, help="documents per run (multiple of 50)")
    parser.add_argument("--mode", choices=("processes", "standalone"), default="processes")
    parser.add_argument("--clients", type=int, default=4, help="concurrent lote/create clients")
    parser.add_argument(
        "--pace",
        type=float,
        default=0.0,
        help="lote/create at this many docs/s (open loop) instead of --clients",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="keep logs and data here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp_name:
        tmp = Path(tmp_name)
        if args.workdir is not None:
            tmp = args.workdir
            tmp.mkdir(parents=True, exist_ok=True)
        factory = processes_stack if args.mode == "processes" else standalone_stack
        stack_cm: AbstractAsyncContextManager[Stack] = factory(tmp, bench=True)
        print(f"== bench_e2e: {args.n} documentos por corrida, modo {args.mode}, KUDE apagado", flush=True)
        async with stack_cm as stack:
            pool = await asyncpg.create_pool(dsn_of(stack, tmp), min_size=1, max_size=2)
            try:
                cpu = cpu_sample()
                bulk_rate = await bulk_run(stack, pool, args.n)
                print(f"/bulk:        {bulk_rate:8.1f} docs/s (primer POST → último Aprobado)", flush=True)
                print("  " + cpu_report(cpu, cpu := cpu_sample(), args.n), flush=True)
                lote_rate, latencies = await lote_run(stack, pool, args.n, args.clients, args.pace)
                print(f"lote/create:  {lote_rate:8.1f} docs/s (primer POST → último Aprobado)", flush=True)
                print("  " + cpu_report(cpu, cpu_sample(), args.n), flush=True)
                print(
                    f"lote/create(50) latencia: p50={statistics.median(latencies):.0f} ms "
                    f"p95={percentile(latencies, 95):.0f} ms p99={percentile(latencies, 99):.0f} ms "
                    f"({len(latencies)} lotes, "
                    + (f"uno cada {50 / args.pace:.2f} s)" if args.pace else f"{args.clients} clientes)"),
                    flush=True,
                )
            finally:
                await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
