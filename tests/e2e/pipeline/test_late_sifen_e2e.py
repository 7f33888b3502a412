"""SIFEN answering a lote after the client's timeout never gets a CDC twice (sifen-protocol.md §3:
never resend a CDC whose first outcome is unknown; docs/pipeline.md, failure semantics).

Every service its own process on the real PostgreSQL and RabbitMQ, real HTTP to the simulator.
The sender gives up on SIFEN after 1 s (``SENDER_SIFEN_READ_TIMEOUT_S``); the simulator holds the
lote's reception for 2 s (fault ``timeout``) and then receives and approves it. The lote waits in
``lote.outcome_unknown`` and is asked about per CDC only after the pause (8 s), so the simulator
receives each CDC exactly once and every document ends Aprobado.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from sifenflow_common.testing import eventually
from sifenflow_standalone.demo import DEMO_SLUG, demo_invoice
from tests.e2e.pipeline.stack import Stack, bearer, processes_stack, statuses

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

LATE_ENV = {"SENDER_SIFEN_READ_TIMEOUT_S": "1", "SENDER_RECONCILE_PAUSE_S": "8"}
HOLD_LOTE = {"rules": [{"kind": "timeout", "operations": ["rEnvioLote"], "count": 1, "hang_seconds": 2}]}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def late(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    tmp: Path = tmp_path_factory.mktemp("late-sifen-e2e")
    async with processes_stack(tmp, name="late", extra_env=LATE_ENV) as running:
        yield running


async def send_lote(session: aiohttp.ClientSession, stack: Stack, count: int) -> list[str]:
    demo = stack.tenants[DEMO_SLUG]
    body = [demo_invoice() for _ in range(count)]
    async with session.post(f"{stack.url}/{demo.slug}/lote/create", json=body, headers=bearer(demo)) as r:
        payload: dict[str, Any] = await r.json()
        assert r.status == 200, payload
    return [d["cdc"] for d in payload["deList"]]


async def all_approved(session: aiohttp.ClientSession, stack: Stack, cdcs: list[str]) -> None:
    async def check() -> None:
        found = await statuses(session, stack, stack.tenants[DEMO_SLUG], cdcs)
        assert [found[c]["estado"] for c in cdcs] == ["Aprobado"] * len(cdcs), found

    await eventually(check, timeout=90, interval=0.5)


async def admin(
    session: aiohttp.ClientSession, stack: Stack, method: str, path: str, body: Any = None
) -> Any:
    async with session.request(method, f"{stack.sim_url}{path}", json=body, headers=stack.sim_admin) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def test_a_lote_answered_after_the_timeout_reaches_sifen_once_and_is_approved(late: Stack) -> None:
    async with aiohttp.ClientSession() as session:
        # a first lote warms the simulator's verification worker up, so the held lote is processed
        # well within the pause
        await all_approved(session, late, await send_lote(session, late, 1))
        await admin(session, late, "PUT", "/admin/faults", HOLD_LOTE)

        cdcs = await send_lote(session, late, 5)
        await all_approved(session, late, cdcs)

        [rule] = (await admin(session, late, "GET", "/admin/faults"))["rules"]
        assert rule["count"] == 0, "the simulator did hold the lote past the client's timeout"
        for cdc in cdcs:
            answer = await admin(session, late, "GET", f"/admin/documents/{cdc}/recepciones")
            assert answer["recepciones"] == 1, (cdc, answer)
