"""Benchmark: lotes of 50 signed DE through the SIFEN client and the simulator over loopback HTTP.

The simulator runs in its own process (SQLite file in a temp dir, signature verification against
the test CA), as the pipeline runs it; the client posts lotes of 50 with some concurrency and the
figure is DE/s of lote reception (target ≥ 2,000 DE/s), with p50/p95/p99 latency per lote call.
Then it waits for the background processing (XSD, signature, registry checks of every DE) and
reports that rate too. Run: ``python bench/bench_protocol.py [--lotes 40] [--concurrency 8]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
from tests.protocol_fixtures import DocSpec, build_rde, demo_contribuyente, protocol_ca_dir

from sifenflow_common.sifen_client import SifenClient, SifenClientConfig
from sifenflow_common.testing.ports import free_port


def _run_simulator(port: int, data_dir: str, ca_dir: str, admin_token: str) -> None:
    from sifenflow_sifen_sim.server import serve
    from sifenflow_sifen_sim.settings import SimSettings

    settings = SimSettings(
        port=port, data_dir=Path(data_dir), test_ca_dir=Path(ca_dir), lote_workers=1, admin_token=admin_token
    )
    asyncio.run(serve(settings))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _wait_ready(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(base + "/admin/health") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("simulator did not start")


async def main(lotes: int, concurrency: int) -> None:
    total = lotes * 50
    print(f"building and signing {total} DE ...", flush=True)
    started = time.perf_counter()
    docs = [build_rde(DocSpec(numero=n))[1] for n in range(1, total + 1)]
    print(
        f"  {total / (time.perf_counter() - started):.0f} DE/s build+sign+QR (test fixture, not the engine)"
    )
    batches = [docs[i : i + 50] for i in range(0, total, 50)]

    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="sifenflow-bench-sim-")
    ctx = multiprocessing.get_context("spawn")
    admin = {"Authorization": f"Bearer {(token := secrets.token_urlsafe(16))}"}
    process = ctx.Process(target=_run_simulator, args=(port, data_dir, str(protocol_ca_dir()), token))
    process.start()
    base = f"http://127.0.0.1:{port}"
    try:
        await _wait_ready(base)
        async with (
            aiohttp.ClientSession(headers=admin) as session,
            session.post(base + "/admin/contribuyentes", json=demo_contribuyente()) as r,
        ):
            assert r.status == 201, await r.text()
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            client = SifenClient(SifenClientConfig(base_url=base), session=session)
            # warm-up lote (schemas compiled, connections open); not counted
            await client.recepcion_lote([build_rde(DocSpec(numero=9_000_000))[1]])
            latencies: list[float] = []
            numbers: list[int] = []
            queue: asyncio.Queue[list[bytes]] = asyncio.Queue()
            for batch in batches:
                queue.put_nowait(batch)

            async def worker() -> None:
                while not queue.empty():
                    batch = queue.get_nowait()
                    t0 = time.perf_counter()
                    call = await client.recepcion_lote(batch)
                    latencies.append(time.perf_counter() - t0)
                    assert call.result.accepted, call.result
                    numbers.append(call.result.lote_number or 0)

            t_start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - t_start
            p50, p95, p99 = (_percentile(latencies, q) * 1000 for q in (0.5, 0.95, 0.99))
            print(
                f"lote reception: {total} DE in {lotes} lotes of 50, concurrency {concurrency}: "
                f"{total / elapsed:.0f} DE/s ({lotes / elapsed:.1f} lotes/s); latency per lote call "
                f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
                f"mean {statistics.mean(latencies) * 1000:.1f} ms"
            )
            async with session.post(base + "/admin/lotes/drain", headers=admin) as r:
                assert r.status == 200
            processed = time.perf_counter() - t_start
            approved = 0
            for number in numbers:
                result = (await client.consulta_lote(number)).result
                assert result.concluded, result
                approved += sum(1 for item in result.results if item.approved)
            print(
                f"background processing (XSD + signature + registry per DE) finished {processed:.1f} s after "
                f"the first lote: {total / processed:.0f} DE/s end to end; {approved}/{total} approved"
            )
    finally:
        process.terminate()
        process.join(5)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lotes", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.lotes, args.concurrency))
