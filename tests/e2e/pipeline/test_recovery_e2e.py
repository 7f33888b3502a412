"""Recovery from the event store (runtime/recovery.py) with every service its own process on the
real PostgreSQL and RabbitMQ: a document whose ``document.built`` message was lost (the signer's
queue deleted while the signer was down, so the broker dropped it) is found by the store's periodic
sweep and re-driven; it reaches Aprobado. A document approved before is left untouched, and the
simulator received every CDC exactly once (the sweep runs every second and re-drives anything not
moved for 4 s, so lotes waiting on SIFEN are re-driven too: only by poll or reconcile)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aio_pika
import aiohttp
import asyncpg
import pytest
import pytest_asyncio

from sifenflow_common.bus.topology import Topology
from sifenflow_common.testing import eventually
from sifenflow_common.testing.ports import free_port
from tests.e2e.pipeline.stack import AMQP_URL, Stack, _spawn, cli, processes_stack
from tests.e2e.pipeline.test_late_sifen_e2e import admin, all_approved, send_lote

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

RECOVERY_ENV = {"RECOVERY_INTERVAL_S": "1", "RECOVERY_AFTER_S": "4"}
_EVENTS = """SELECT count(*) FROM events e JOIN document_status d
ON e.stream_name = 'document-' || d.document_id WHERE d.cdc = $1"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def recovering(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    tmp: Path = tmp_path_factory.mktemp("recovery-e2e")
    async with processes_stack(tmp, name="recovery", extra_env=RECOVERY_ENV) as running:
        yield running


async def _status(pool: asyncpg.Pool, cdc: str) -> str | None:
    status: str | None = await pool.fetchval("SELECT status FROM document_status WHERE cdc = $1", cdc)
    return status


async def test_a_document_whose_signer_message_was_lost_is_redriven_to_aprobado(recovering: Stack) -> None:
    stack = recovering
    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    assert pool is not None
    try:
        async with aiohttp.ClientSession() as session:
            [approved] = await send_lote(session, stack, 1)
            await all_approved(session, stack, [approved])
            events_before = await pool.fetchval(_EVENTS, approved)

            # the signer goes down and its queue with it: the next document.built is dropped
            [signer] = stack.replicas["signer"]
            signer.send_signal(signal.SIGTERM)
            await asyncio.to_thread(signer.wait, 30)
            connection = await aio_pika.connect(AMQP_URL)
            async with connection:
                channel = await connection.channel()
                await channel.queue_delete(Topology(stack.prefix).queue("signer", "document.built"))
            [stuck] = await send_lote(session, stack, 1)

            async def built() -> None:
                assert await _status(pool, stuck) == "built"

            await eventually(built, timeout=60, interval=0.3)
            # a signer again: a new queue, without the lost message
            port = free_port()
            fresh = _spawn(
                cli("serve", "signer"), {**stack.env, "HTTP_PORT": str(port)}, stack.logs / "stack.log"
            )  # type: ignore[operator]
            stack.processes.append(fresh)

            await all_approved(session, stack, [stuck])
            for cdc in (approved, stuck):
                answer = await admin(session, stack, "GET", f"/admin/documents/{cdc}/recepciones")
                assert answer["recepciones"] == 1, (cdc, answer)
            events_after = await pool.fetchval(_EVENTS, approved)
            assert events_after == events_before  # the approved document was left alone
        log = (stack.logs / "stack.log").read_text(errors="replace")  # type: ignore[operator]
        assert '"stage": "signer"' in log and "recovery re-drove a waiting stream" in log
    finally:
        await pool.close()


HOLD_LOTE = {"rules": [{"kind": "timeout", "operations": ["rEnvioLote"], "count": 1, "hang_seconds": 8}]}


async def test_a_lote_redriven_while_sifen_holds_it_reaches_sifen_once(recovering: Stack) -> None:
    """The sweep re-drives a lote whose submission is still in its SOAP call (SIFEN holds it 8 s, the
    sweep acts after 4 s): the second delivery finds the attempt claimed and can only reconcile."""
    stack = recovering
    async with aiohttp.ClientSession() as session:
        await admin(session, stack, "PUT", "/admin/faults", HOLD_LOTE)
        cdcs = await send_lote(session, stack, 3)
        await all_approved(session, stack, cdcs)
        [rule] = (await admin(session, stack, "GET", "/admin/faults"))["rules"]
        assert rule["count"] == 0, "the simulator did hold the lote"
        for cdc in cdcs:
            answer = await admin(session, stack, "GET", f"/admin/documents/{cdc}/recepciones")
            assert answer["recepciones"] == 1, (cdc, answer)
    log = (stack.logs / "stack.log").read_text(errors="replace")  # type: ignore[operator]
    redrives = [line for line in log.splitlines() if "recovery re-drove" in line]
    assert any('"type": "lote.submission_started"' in line for line in redrives), redrives
