"""Two replicas of every service at once (gateway, store, builder, signer, sender; one simulator),
each its own ``sifenflow serve`` process on the real RabbitMQ and PostgreSQL: a few hundred documents
through both gateways (de/create, lote/create, /bulk) while one replica of each worker is stopped
with SIGTERM mid-flow. Every document ends Aprobado, none lost, no CDC sent to SIFEN twice (the
simulator's own records say so: MT v150 1001 "CDC duplicado" never answered), numbers gapless per
series (MT v150 §10.1: dNumDoc per tipo, establecimiento, punto)."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import pytest_asyncio

from sifenflow_common.testing import eventually
from sifenflow_standalone.demo import DEMO_SLUG, demo_invoice
from tests.e2e.pipeline.stack import WORKERS, Stack, bearer, processes_stack

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(300)]

GRACE_S = 20  # SHUTDOWN_TIMEOUT_S of every process
SYNC, LOTES, BULKS = 20, 4, 2  # 20 de/create + 4 × 50 lote/create + 2 × 50 bulk = 320 documents
TOTAL = SYNC + LOTES * 50 + BULKS * 50


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def replicas(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    tmp = tmp_path_factory.mktemp("e2e-replicas")
    env = {"SHUTDOWN_TIMEOUT_S": str(GRACE_S), "DB_POOL_MAX": "4"}
    async with processes_stack(
        tmp, name="replicas", replicas=2, sim_data_dir=tmp / "sim", extra_env=env
    ) as stack:
        yield stack


async def _post(session: aiohttp.ClientSession, url: str, body: Any, headers: dict[str, str]) -> Any:
    async with session.post(url, json=body, headers=headers) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def _bulk(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> None:
    body = "\n".join(json.dumps(demo_invoice()) for _ in range(50)).encode()
    ndjson = {**headers, "Content-Type": "application/x-ndjson"}
    async with session.post(url, data=body, headers=ndjson) as response:
        assert response.status == 202, await response.text()


async def _approved(pool: asyncpg.Pool) -> int:
    rows = await pool.fetch("SELECT status, count(*) AS n FROM document_status GROUP BY status")
    counts = {r["status"]: int(r["n"]) for r in rows}
    assert not counts.get("rejected"), counts
    return sum(n for status, n in counts.items() if status.startswith("approved"))


async def _sigterm_within_grace(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    return await asyncio.to_thread(proc.wait, GRACE_S + 15)


def _simulator_records(path: Path) -> tuple[dict[str, tuple[str, str]], list[tuple[str, int]], int]:
    """(cdc → (status, code)) of what it recorded, CDCs received in more than one lote item, and how
    many answers said 1001/1002 (CDC or number already approved)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        documents = {
            cdc: (status, code) for cdc, status, code in db.execute("SELECT cdc, status, code FROM documents")
        }
        repeated = db.execute(
            "SELECT cdc, count(*) FROM lote_items GROUP BY cdc HAVING count(*) > 1"
        ).fetchall()
        duplicates = db.execute(
            "SELECT (SELECT count(*) FROM lote_items WHERE code IN ('1001', '1002'))"
            " + (SELECT count(*) FROM documents WHERE code IN ('1001', '1002'))"
        ).fetchone()[0]
    return documents, repeated, int(duplicates)


async def test_two_replicas_of_everything_lose_and_double_nothing(replicas: Stack) -> None:
    stack = replicas
    demo = stack.tenants[DEMO_SLUG]
    auth = bearer(demo)
    first, second = stack.urls
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
            loads = [
                *(_post(session, f"{(first, second)[i % 2]}/{demo.slug}/de/create", demo_invoice(), auth)
                  for i in range(SYNC)),
                *(_post(session, f"{(first, second)[i % 2]}/{demo.slug}/lote/create",
                        [demo_invoice() for _ in range(50)], auth) for i in range(LOTES)),
                *(_bulk(session, f"{(first, second)[i % 2]}/{demo.slug}/bulk", auth) for i in range(BULKS)),
            ]  # fmt: skip
            posting = asyncio.gather(*loads)

            # once documents flow, one replica of every worker stops with SIGTERM: it drains what it
            # holds within the grace period and exits 0; its queues' other consumers carry on
            await eventually(lambda: _approved(pool), timeout=120, interval=0.2)
            stopped = [stack.replicas[worker][1] for worker in WORKERS]
            codes = await asyncio.gather(*(_sigterm_within_grace(proc) for proc in stopped))
            assert codes == [0] * len(WORKERS), dict(zip(WORKERS, codes, strict=True))
            await posting

            async def all_approved() -> None:
                assert await _approved(pool) == TOTAL

            await eventually(all_approved, timeout=150, interval=0.5)

        # none lost or doubled on our side: one document per request line, each approved once
        assert await pool.fetchval("SELECT count(*) FROM gateway_documents") == TOTAL
        approvals = await pool.fetch(
            "SELECT data->>'cdc' AS cdc, count(*) AS n FROM events"
            " WHERE type = 'document.approved' GROUP BY 1"
        )
        assert len(approvals) == TOTAL and {r["n"] for r in approvals} == {1}
        cdcs = {r["cdc"] for r in approvals}

        # the simulator received each CDC once and approved it, and never answered "already approved"
        documents, repeated, duplicate_answers = _simulator_records(stack_sim_db(stack))
        assert set(documents) == cdcs
        assert {status for status, _ in documents.values()} <= {"Aprobado", "Aprobado con observación"}
        assert repeated == [] and duplicate_answers == 0

        # numbering: per series, 1..n with no gap and no number twice
        series = await pool.fetch(
            "SELECT tipo_documento, timbrado, establecimiento, punto,"
            " array_agg(numero ORDER BY numero) AS numbers FROM gateway_documents GROUP BY 1, 2, 3, 4"
        )
        assert series
        for row in series:
            numbers = list(row["numbers"])
            assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), dict(row)
        assert sum(len(r["numbers"]) for r in series) == TOTAL

        # the gateways drain and exit 0 on SIGTERM as well
        gateways = stack.replicas["gateway"]
        assert await asyncio.gather(*(_sigterm_within_grace(p) for p in gateways)) == [0, 0]
    finally:
        await pool.close()


def stack_sim_db(stack: Stack) -> Path:
    assert stack.logs is not None
    return stack.logs.parent / "sim" / "sim.sqlite3"
