"""A read model never stops on one event: an event it cannot apply is parked with its error, the
projection goes on, every later document shows its real state, and a replay after the fix applies
it (library and ``sifenflow projections parked [--replay]``, on real PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence

import asyncpg
import pytest
from click.testing import CliRunner

from sifenflow_cli.main import cli
from sifenflow_common.eventstore.parked import list_parked
from sifenflow_common.eventstore.ports import RecordedEvent
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.eventstore.subscription import Subscription
from sifenflow_common.readmodel.documents import DocumentsProjection, get_by_cdc, get_by_id
from tests.backbone_support import Database, follow
from tests.integration.backbone.test_documents_readmodel import cdc_for, lifecycle

pytestmark = pytest.mark.integration

EVENTS_PER_LIFECYCLE = 6  # requested, built, signed, lote started, lote submitted, approved


class BrokenForOneDocument(DocumentsProjection):
    """The documents projection with a bug that only one document's events hit, until fixed."""

    def __init__(self) -> None:
        super().__init__()
        self.broken: set[str] = set()

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None:
        if event.envelope.payload.get("document_id") in self.broken:
            raise KeyError("xml_sha256")
        await super().apply(conn, event)

    async def apply_batch(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            await self.apply(conn, event)


async def test_two_companies_with_one_cdc_both_show_their_state(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    tenant_a, tenant_b = uuid.uuid4(), uuid.uuid4()
    doc_a = await lifecycle(store, tenant_a, 1, approve=True)
    doc_b = await lifecycle(store, tenant_b, 1, approve=False)  # the same CDC, another company
    sub = Subscription(database.pool, DocumentsProjection())
    await follow(sub, 2 * EVENTS_PER_LIFECYCLE)
    a, b = await get_by_id(database.pool, tenant_a, doc_a), await get_by_id(database.pool, tenant_b, doc_b)
    assert a is not None and b is not None
    assert (a.cdc, a.estado, b.cdc, b.estado) == (cdc_for(1), "Aprobado", cdc_for(1), "Rechazado")
    assert await list_parked(database.pool) == []


async def test_an_event_breaking_the_unique_cdc_is_parked_and_later_documents_move_on(
    database: Database,
) -> None:
    store = PostgresEventStore(database.pool)
    tenant, other = uuid.uuid4(), uuid.uuid4()
    first = await lifecycle(store, tenant, 7, approve=True)
    clash = await lifecycle(store, tenant, 7, approve=True)  # same tenant, same CDC: cannot be applied
    later = [await lifecycle(store, t, n, approve=True) for t, n in ((tenant, 8), (other, 9))]
    counted: list[tuple[str, int]] = []
    sub = Subscription(database.pool, DocumentsProjection(), on_parked=lambda *a: counted.append(a))
    await follow(sub, 4 * EVENTS_PER_LIFECYCLE)

    parked = await list_parked(database.pool, "documents")
    # built, signed and approved of the clashing document carry its CDC; each is set aside alone
    assert [p.event_type for p in parked] == ["document.built", "document.signed", "document.approved"]
    assert all("UniqueViolationError" in p.error and p.tenant_id == tenant for p in parked)
    assert sum(n for _, n in counted) == 3 and {name for name, _ in counted} == {"documents"}
    row = await get_by_id(database.pool, tenant, first)
    assert row is not None and row.estado == "Aprobado"
    stuck = await get_by_id(database.pool, tenant, clash)
    assert stuck is not None and stuck.status != "approved"  # its own events are the parked ones
    for doc, t in zip(later, (tenant, other), strict=True):
        shown = await get_by_id(database.pool, t, doc)
        assert shown is not None and shown.estado == "Aprobado"


async def test_replay_after_the_fix_applies_the_parked_events(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    tenant = uuid.uuid4()
    projection = BrokenForOneDocument()
    sub = Subscription(database.pool, projection)
    bad = await lifecycle(store, tenant, 21, approve=True)
    projection.broken.add(str(bad))
    after = await lifecycle(store, tenant, 22, approve=True)
    await follow(sub, 2 * EVENTS_PER_LIFECYCLE)

    parked = await list_parked(database.pool, "documents")
    assert [p.event_type for p in parked] == [
        "document.requested", "document.built", "document.signed", "document.approved",
    ]  # fmt: skip
    assert await get_by_id(database.pool, tenant, bad) is None
    shown = await get_by_cdc(database.pool, tenant, cdc_for(22))
    assert shown is not None and shown.document_id == after and shown.estado == "Aprobado"

    assert await sub.replay_parked() == (0, 4)  # not fixed yet: still parked, attempts counted
    assert {p.attempts for p in await list_parked(database.pool, "documents")} == {2}
    projection.broken.clear()
    assert await sub.replay_parked() == (4, 0)
    fixed = await get_by_id(database.pool, tenant, bad)
    assert fixed is not None and (fixed.cdc, fixed.estado) == (cdc_for(21), "Aprobado")
    assert await list_parked(database.pool, "documents") == []
    history = await list_parked(database.pool, "documents", include_replayed=True)
    assert len(history) == 4 and all(p.replayed_at is not None for p in history)


async def cli_run(dsn: str, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = await asyncio.to_thread(
        runner.invoke, cli, ["projections", "parked", "--database-url", dsn, *args]
    )
    return result.exit_code, result.stdout, result.stderr


async def test_operator_command_lists_and_replays(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    tenant = uuid.uuid4()
    first = await lifecycle(store, tenant, 31, approve=True)
    clash = await lifecycle(store, tenant, 31, approve=False)
    await follow(Subscription(database.pool, DocumentsProjection()), 2 * EVENTS_PER_LIFECYCLE)

    code, out, err = await cli_run(database.dsn, "--json")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["type"] for r in rows] == ["document.built", "document.signed", "document.rejected"]
    assert rows[0]["subscription"] == "documents" and "UniqueViolationError" in rows[0]["error"]
    assert "3 eventos apartados" in err

    code, _, err = await cli_run(database.dsn, "--replay")
    assert code == 1 and "documents: 0 reaplicados, 3 siguen fallando" in err  # nothing fixed yet
    # the fix an operator would make here: the first document's CDC was wrong in the read model
    await database.pool.execute("UPDATE document_status SET cdc = NULL WHERE document_id = $1", first)
    code, out, err = await cli_run(database.dsn, "--replay")
    assert code == 0 and "documents: 3 reaplicados, 0 siguen fallando" in err and out == ""
    row = await get_by_id(database.pool, tenant, clash)
    assert row is not None and (row.cdc, row.estado) == (cdc_for(31), "Rechazado")
