"""Bulk as a durable job on the real PostgreSQL over real HTTP: a line the database refuses fails
alone, every line's outcome is recorded and paged, and a gateway stopped mid-batch is resumed by the
next one without accepting any document twice."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from sifenflow_cli.commands.bulk import post_bulk
from sifenflow_common.testing.eventually import eventually
from sifenflow_gateway.app import create_app, postgres_deps
from sifenflow_gateway.model import BulkCounts, BulkLine
from tests.integration.gateway.conftest import LiveGateway, bearer, gw_settings
from tests.unit.gateway.samples import factura

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def _completed(client: TestClient[Any, Any], slug: str, token: str, batch: str) -> dict[str, Any]:
    async def done() -> dict[str, Any]:
        resp = await client.get(f"/{slug}/bulk/{batch}", headers=bearer(token))
        status = await resp.json()
        assert status["status"] == "completado", status
        return dict(status)

    return await eventually(done, timeout=60)


async def _all_lines(
    client: TestClient[Any, Any], slug: str, token: str, batch: str, **query: str
) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    cursor: str | None = ""
    while cursor is not None:
        params = {**query, "limit": "40", "cursor": cursor}
        resp = await client.get(f"/{slug}/bulk/{batch}/lines", params=params, headers=bearer(token))
        assert resp.status == 200, await resp.text()
        page = await resp.json()
        lines.extend(page["lines"])
        cursor = page["nextCursor"]
    return lines


async def test_a_line_postgres_refuses_fails_alone(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    lines = [json.dumps(factura()) for _ in range(120)]
    bad = factura()
    bad["items"][0]["descripcion"] = float("nan")  # valid for Python's json, not for jsonb
    lines[59] = json.dumps(bad)
    raw = "\n".join(lines).encode()
    headers = {**bearer(token), "Idempotency-Key": "nan-at-60"}
    resp = await live.client.post(f"/{tenant.slug}/bulk", data=raw, headers=headers)
    assert resp.status == 202
    batch = (await resp.json())["batchId"]

    status = await _completed(live.client, tenant.slug, token, batch)
    assert (status["accepted"], status["failed"], status["pending"]) == (119, 1, 0)
    assert [e["line"] for e in status["errors"]] == [60]

    failed = await _all_lines(live.client, tenant.slug, token, batch, estado="fallido")
    assert [(x["line"], x["cdc"], [e["code"] for e in x["errors"]]) for x in failed] == [
        (60, None, ["JSON_INVALIDO"])  # the strict JSON reader refuses NaN before anything is stored
    ]
    accepted = await _all_lines(live.client, tenant.slug, token, batch, estado="aceptado")
    assert [x["line"] for x in accepted] == [n for n in range(1, 121) if n != 60]
    assert len({x["cdc"] for x in accepted}) == 119 and all(len(x["cdc"]) == 44 for x in accepted)
    assert sorted(x["numero"] for x in accepted) == [f"001-001-{n:07d}" for n in range(1, 120)]
    assert len(await _all_lines(live.client, tenant.slug, token, batch)) == 120

    rows = await live.pool.fetch(
        "SELECT id, cdc, numero FROM gateway_documents WHERE tenant_id = $1 ORDER BY numero", tenant.id
    )
    assert [r["numero"] for r in rows] == list(range(1, 120))  # no gap where line 60 failed
    assert {(r["id"], r["cdc"]) for r in rows} == {(x["id"], x["cdc"]) for x in accepted}

    again = await live.client.post(f"/{tenant.slug}/bulk", data=raw, headers=headers)
    assert again.status == 202 and (await again.json())["batchId"] == batch
    await asyncio.sleep(0.2)
    count = await live.pool.fetchval("SELECT count(*) FROM gateway_documents WHERE tenant_id = $1", tenant.id)
    assert count == 119


async def test_lines_endpoint_refuses_bad_parameters(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    resp = await live.client.post(f"/{tenant.slug}/bulk", data=json.dumps(factura()), headers=bearer(token))
    batch = (await resp.json())["batchId"]
    await _completed(live.client, tenant.slug, token, batch)
    for query, path in (
        ({"estado": "otro"}, "query.estado"),
        ({"limit": "0"}, "query.limit"),
        ({"limit": "abc"}, "query.limit"),
        ({"cursor": "-1"}, "query.cursor"),
    ):
        bad = await live.client.get(f"/{tenant.slug}/bulk/{batch}/lines", params=query, headers=bearer(token))
        assert bad.status == 400
        body = await bad.json()
        assert (body["code"], body["errores"][0]["path"]) == ("PARAMETRO_INVALIDO", path)
    other, other_token = await live.tenant()
    hidden = await live.client.get(f"/{other.slug}/bulk/{batch}/lines", headers=bearer(other_token))
    assert hidden.status == 404


class _StopsAfterFirstLote:
    """The real store, except that recording the second lote's lines never returns: the gateway is
    stopped with that lote accepted (committed) and its lines not yet recorded, the worst moment."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls = 0
        self.blocked = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def record_bulk_lines(self, batch_id: uuid.UUID, lines: Sequence[BulkLine]) -> BulkCounts:
        self.calls += 1
        if self.calls > 2:  # 1: lines that did not parse (none), 2: the first lote
            self.blocked.set()
            await asyncio.Event().wait()
        result: BulkCounts = await self._inner.record_bulk_lines(batch_id, lines)
        return result


async def test_gateway_stopped_mid_batch_is_resumed_without_duplicates(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    settings = gw_settings()
    deps = postgres_deps(live.pool, settings)
    stopping = _StopsAfterFirstLote(deps.intake)
    first: TestClient[Any, Any] = TestClient(TestServer(create_app(settings, replace(deps, intake=stopping))))
    await first.start_server()
    raw = "\n".join(json.dumps(factura()) for _ in range(130)).encode()
    resp = await first.post(f"/{tenant.slug}/bulk", data=raw, headers=bearer(token))
    batch = (await resp.json())["batchId"]
    await asyncio.wait_for(stopping.blocked.wait(), timeout=30)
    await first.close()  # cancels the processing task

    stopped = await live.pool.fetchrow("SELECT status, accepted FROM gateway_bulk_batches WHERE id = $1",
                                       uuid.UUID(batch))  # fmt: skip
    assert stopped is not None and (stopped["status"], stopped["accepted"]) == ("procesando", 50)
    in_db = await live.pool.fetchval("SELECT count(*) FROM gateway_documents WHERE tenant_id = $1", tenant.id)
    assert in_db == 100  # the second lote was accepted, its lines not recorded

    second: TestClient[Any, Any] = TestClient(
        TestServer(create_app(gw_settings(resume_bulk_on_start=True), postgres_deps(live.pool, settings)))
    )
    await second.start_server()
    try:
        status = await _completed(second, tenant.slug, token, batch)
        assert (status["accepted"], status["failed"]) == (130, 0)
        lines = await _all_lines(second, tenant.slug, token, batch)
        assert [x["line"] for x in lines] == list(range(1, 131))
        assert {x["estado"] for x in lines} == {"aceptado"}
        rows = await live.pool.fetch(
            "SELECT cdc, numero FROM gateway_documents WHERE tenant_id = $1 ORDER BY numero", tenant.id
        )
        assert [r["numero"] for r in rows] == list(range(1, 131))  # each accepted once, no gap
        assert {r["cdc"] for r in rows} == {x["cdc"] for x in lines}
    finally:
        await second.close()


async def test_bulk_cli_writes_every_lines_outcome(live: LiveGateway, tmp_path: Path) -> None:
    tenant, token = await live.tenant()
    lines = [json.dumps(factura()) for _ in range(5)]
    lines[2] = '{"tipoDocumento": 1,'  # line 3 is not JSON
    results = tmp_path / "resultados.jsonl"
    base = str(live.client.make_url("/"))
    raw = "\n".join(lines).encode()
    code, view = await post_bulk(
        base, tenant.slug, token, raw, idempotency_key=None, interval=0.1, results=results
    )
    assert code == 1 and view["accepted"] == 4 and view["failed"] == 1
    written = [json.loads(x) for x in results.read_text(encoding="utf-8").splitlines()]
    assert [(x["line"], x["estado"]) for x in written] == [
        (1, "aceptado"), (2, "aceptado"), (3, "fallido"), (4, "aceptado"), (5, "aceptado")
    ]  # fmt: skip
    assert written[2]["errors"][0]["code"] == "JSON_INVALIDO" and written[2]["cdc"] is None
    assert all(len(x["cdc"]) == 44 for x in written if x["estado"] == "aceptado")
