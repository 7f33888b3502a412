"""IntakeStore: the fake used by the unit tests behaves like the PostgreSQL adapter."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.adapters.engine import EngineAdapter
from sifenflow_gateway.model import (
    BulkBatch,
    BulkLine,
    DraftNotFoundError,
    IdempotencyKeyReusedError,
    IntakeRequest,
    NumberReusedError,
    PendingDocument,
)
from sifenflow_gateway.normalize import content_hash, normalize
from tests.contract.gateway.conftest import IntakeHarness
from tests.unit.gateway.samples import factura

pytestmark = [pytest.mark.contract, pytest.mark.asyncio(loop_scope="session")]

NOW = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)


def pending(**overrides: Any) -> PendingDocument:
    body = factura(**overrides)
    data, numero, issues = normalize(body, NOW)
    assert issues == []
    return PendingDocument(
        data, data["tipoDocumento"], data["establecimiento"], data["punto"], numero, content_hash(body)
    )


def request(tenant: Tenant, docs: list[PendingDocument], **kw: Any) -> IntakeRequest:
    engine = EngineAdapter()
    return IntakeRequest(tenant=tenant, documents=docs, finalize=lambda d: engine.cdc(tenant.params, d), **kw)


async def test_numbers_are_consecutive_per_series(intake: IntakeHarness) -> None:
    first = await intake.store.accept(request(intake.tenant, [pending(), pending(), pending(punto="002")]))
    second = await intake.store.accept(request(intake.tenant, [pending()]))
    assert [d.numero for d in first.documents] == [1, 2, 1]
    assert [d.numero for d in second.documents] == [3]
    assert first.lote_id != second.lote_id
    assert [d.cdc[17:24] for d in first.documents] == ["0000001", "0000002", "0000001"]  # MT v150 §10.1


async def test_idempotency_key_replays_and_rejects_other_bodies(intake: IntakeHarness) -> None:
    key = f"k{uuid.uuid4()}"
    one = await intake.store.accept(request(intake.tenant, [pending()], idem_key=key, request_hash="h1"))
    again = await intake.store.accept(request(intake.tenant, [pending()], idem_key=key, request_hash="h1"))
    assert again.replayed and [d.cdc for d in again.documents] == [d.cdc for d in one.documents]
    with pytest.raises(IdempotencyKeyReusedError):
        await intake.store.accept(request(intake.tenant, [pending()], idem_key=key, request_hash="h2"))
    other = await intake.store.accept(request(intake.other, [pending()], idem_key=key, request_hash="h1"))
    assert not other.replayed  # keys are per tenant


async def test_purged_idempotency_keys_are_forgotten(intake: IntakeHarness) -> None:
    key = f"k{uuid.uuid4()}"
    first = await intake.store.accept(request(intake.tenant, [pending()], idem_key=key, request_hash="h1"))
    assert await intake.store.purge_idempotency(timedelta(days=1)) == 0  # too recent: kept
    assert (
        await intake.store.accept(request(intake.tenant, [pending()], idem_key=key, request_hash="h1"))
    ).replayed
    assert await intake.store.purge_idempotency(timedelta(0)) >= 1
    # the key is free again: a new body under it is a new document, not a reuse error
    fresh = await intake.store.accept(request(intake.tenant, [pending()], idem_key=key, request_hash="h2"))
    assert not fresh.replayed and fresh.documents[0].cdc != first.documents[0].cdc


async def test_given_numbers(intake: IntakeHarness) -> None:
    first = await intake.store.accept(request(intake.tenant, [pending(numero=7)]))
    same = await intake.store.accept(request(intake.tenant, [pending(numero=7)]))
    assert same.documents[0].cdc == first.documents[0].cdc and same.lote_id == first.lote_id
    with pytest.raises(NumberReusedError) as err:
        await intake.store.accept(request(intake.tenant, [pending(), pending(numero=7, observacion="x")]))
    assert err.value.index == 1
    nxt = await intake.store.accept(request(intake.tenant, [pending()]))
    assert nxt.documents[0].numero == 8  # the failed request gave its number back; 7 moved the counter


async def test_drafts_and_tenant_isolation(intake: IntakeHarness) -> None:
    draft = await intake.store.accept(request(intake.tenant, [pending()], draft=True))
    assert draft.documents[0].situacion == -1
    with pytest.raises(DraftNotFoundError):
        await intake.store.confirm_draft(intake.other, draft.lote_id)
    confirmed = await intake.store.confirm_draft(intake.tenant, draft.lote_id)
    assert [d.situacion for d in confirmed.documents] == [0]
    with pytest.raises(DraftNotFoundError):
        await intake.store.reject_draft(intake.tenant, draft.lote_id)
    cdc = confirmed.documents[0].cdc
    assert (await intake.store.by_cdc(intake.tenant.id, cdc)) is not None
    assert (await intake.store.by_cdc(intake.other.id, cdc)) is None
    assert (await intake.store.by_id(intake.other.id, confirmed.documents[0].id)) is None
    assert [d.cdc for d in await intake.store.by_cdcs(intake.tenant.id, [cdc, "0" * 44])] == [cdc]
    assert [d.cdc for d in await intake.store.lote(intake.tenant.id, draft.lote_id)] == [cdc]


async def test_bulk_batches(intake: IntakeHarness) -> None:
    batch = BulkBatch(id=uuid.uuid4(), tenant_id=intake.tenant.id, status="recibido", total=3, created_at=NOW)
    await intake.store.save_bulk(batch)
    sha = await intake.store.put_source(b'{"a": 1}\n')
    assert await intake.store.source(sha) == b'{"a": 1}\n'
    assert batch.id in {b.id for b in await intake.store.unfinished_bulks()}
    await intake.store.save_bulk(replace(batch, status="completado", accepted=3, lote_ids=[4]))
    got = await intake.store.bulk(intake.tenant.id, batch.id)
    assert got is not None and got.accepted == 3 and got.lote_ids == [4]
    assert await intake.store.bulk(intake.other.id, batch.id) is None
    assert batch.id not in {b.id for b in await intake.store.unfinished_bulks()}


async def test_bulk_lines_are_the_batch_counters(intake: IntakeHarness) -> None:
    batch = BulkBatch(
        id=uuid.uuid4(), tenant_id=intake.tenant.id, status="procesando", total=3, created_at=NOW
    )
    await intake.store.save_bulk(batch)
    ok = BulkLine(line=1, estado="aceptado", document_id=7, lote_id=4, cdc="0" * 44, numero="001-001-0000001")
    bad = BulkLine(
        line=3, estado="fallido", errors=[{"line": 3, "code": "X", "path": "$", "message": "a\x00b"}]
    )
    counts = await intake.store.record_bulk_lines(batch.id, [bad, ok])
    assert (counts.accepted, counts.failed, counts.lote_ids) == (1, 1, [4])
    # a line keeps its first outcome
    again = await intake.store.record_bulk_lines(batch.id, [BulkLine(line=1, estado="fallido")])
    assert (again.accepted, again.failed) == (1, 1)
    got = await intake.store.bulk(intake.tenant.id, batch.id)
    assert got is not None and (got.accepted, got.failed, got.lote_ids) == (1, 1, [4])
    assert [x.line for x in await intake.store.bulk_lines(batch.id)] == [1, 3]
    assert await intake.store.bulk_lines(batch.id, estado="aceptado") == [ok]
    assert [x.line for x in await intake.store.bulk_lines(batch.id, after=1, limit=5)] == [3]
    assert [x.line for x in await intake.store.bulk_lines(batch.id, limit=1)] == [1]
