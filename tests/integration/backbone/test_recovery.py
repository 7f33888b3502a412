"""The periodic recovery sweep on the real PostgreSQL with the in-process bus: a document or lote
whose last event waits for a stage, and whose message was lost, gets that stage's input again; final
documents, lotes already closed and documents the sender holds in a lote are left alone; a sent lote
only ever gets a poll or a reconcile, never a new submission; one sweeper at a time; a bounded number
of re-drives per waiting state."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

import pytest

from sifenflow_common.bus.inprocess import InProcessBus
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.messages.commands import PollLote, ReconcileLote
from sifenflow_common.messages.envelope import Envelope, Message, document_stream, lote_stream
from sifenflow_common.messages.events import (
    DocumentApproved,
    DocumentBuilt,
    DocumentRequested,
    DocumentSigned,
    LoteDocument,
    LoteOutcomeUnknown,
    LotePolled,
    LoteSubmissionStarted,
    LoteSubmitted,
)
from sifenflow_common.outbox.relay import OutboxRelay
from sifenflow_common.runtime.recovery import LOCK_KEY, RecoverySweeper
from sifenflow_common.testing import eventually
from tests.backbone_support import Database

pytestmark = pytest.mark.integration

AFTER_S = 0.3
SHA = "a" * 64
TENANT = uuid.uuid4()


def _cdc(n: int) -> str:
    return f"01800138848001001{n:07d}22026120711234567891"[:44]


async def _document(
    store: PostgresEventStore, database: Database, status: str, messages: Sequence[Message],
    lote_id: uuid.UUID | None = None,
) -> tuple[uuid.UUID, list[Envelope]]:  # fmt: skip
    """A document stream with ``messages`` (the first a document.requested), its read-model row
    not moved for an hour, and no outbox row left: every message it published was lost."""
    document_id = messages[0].document_id  # type: ignore[attr-defined]
    envs = [Envelope.wrap(m, tenant_id=TENANT, producer="t/1") for m in messages]
    stored = await store.append(document_stream(document_id), 0, envs)
    await database.pool.execute(
        """INSERT INTO document_status (tenant_id, document_id, document_type, establishment,
           expedition_point, number, status, lote_id, stream_version, created_at, updated_at)
           VALUES ($1, $2, 1, '001', '001', '0000001', $3, $4, $5, now() - interval '1 hour',
                   now() - interval '1 hour')""",
        TENANT, document_id, status, lote_id, len(envs),
    )  # fmt: skip
    return document_id, stored


def _requested(document_id: uuid.UUID) -> DocumentRequested:
    return DocumentRequested(
        document_id=document_id, document_type=1, establishment="001", expedition_point="001",
        number="0000001", request_sha256=SHA,
    )  # fmt: skip


def _built(document_id: uuid.UUID, n: int) -> DocumentBuilt:
    return DocumentBuilt(document_id=document_id, cdc=_cdc(n), xml_sha256=SHA, sync=False)


def _signed(document_id: uuid.UUID, n: int) -> DocumentSigned:
    return DocumentSigned(
        document_id=document_id, cdc=_cdc(n), signed_xml_sha256=SHA, qr_url="https://q", sync=False
    )


async def _lote(
    store: PostgresEventStore, lote_id: uuid.UUID, member: LoteDocument, *after: Message
) -> list[Envelope]:
    started = LoteSubmissionStarted(lote_id=lote_id, document_type=1, documents=(member,), request_sha256=SHA)
    envs = [Envelope.wrap(m, tenant_id=TENANT, producer="t/1") for m in (started, *after)]
    return await store.append(lote_stream(lote_id), 0, envs)


async def _in_lote(
    store: PostgresEventStore, database: Database, n: int, status: str, lote_id: uuid.UUID
) -> LoteDocument:
    """A signed document the sender took into ``lote_id`` (its inbox claimed the document.signed)."""
    document_id = uuid.uuid4()
    _, envs = await _document(
        store, database, status, [_requested(document_id), _built(document_id, n), _signed(document_id, n)],
        lote_id=lote_id,
    )  # fmt: skip
    await database.pool.execute(
        "INSERT INTO processed_messages (consumer, message_id) VALUES ('sender', $1)", envs[-1].message_id
    )
    return LoteDocument(document_id=document_id, cdc=_cdc(n), signed_xml_sha256=SHA)


async def _forget_outbox(database: Database) -> None:
    await database.pool.execute("DELETE FROM outbox")


def _sweeper(store: PostgresEventStore, **kwargs: object) -> RecoverySweeper:
    return RecoverySweeper(store, after_s=AFTER_S, **kwargs)  # type: ignore[arg-type]


async def test_a_built_document_whose_signer_message_was_lost_is_redriven(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    stuck_id, stuck = await _document(
        store, database, "built", [_requested(uuid.uuid4()), _built(uuid.uuid4(), 1)]
    )
    done_id = uuid.uuid4()
    await _document(
        store, database, "approved",
        [_requested(done_id), _built(done_id, 2), _signed(done_id, 2),
         DocumentApproved(document_id=done_id, cdc=_cdc(2), sifen_code="0260", sifen_message="Aprobado")],
    )  # fmt: skip
    await _forget_outbox(database)
    await asyncio.sleep(AFTER_S + 0.05)  # the events age past RECOVERY_AFTER_S
    counted: dict[str, int] = {}
    result = await _sweeper(store, on_redriven=lambda stage, n: counted.update({stage: n})).sweep()
    assert result.locked and [(r.stream, r.stage) for r in result.redriven] == [
        (document_stream(stuck_id), "signer")
    ]
    assert counted == {"signer": 1}

    bus = InProcessBus()
    delivered: list[Envelope] = []

    async def signer(env: Envelope) -> None:
        delivered.append(env)

    await bus.subscribe("signer", [DocumentBuilt.TYPE, DocumentSigned.TYPE, DocumentApproved.TYPE], signer)
    assert await OutboxRelay(database.pool, bus).relay_once() == 1

    async def got_it() -> None:
        assert len(delivered) == 1

    await eventually(got_it, timeout=10)
    # the very event the signer lost, same message id: an inbox that had it drops the copy
    assert delivered[0].message_id == stuck[-1].message_id and delivered[0].type == DocumentBuilt.TYPE
    assert await store.stream_version(document_stream(done_id)) == 4  # the approved one: untouched
    await bus.close()


async def test_waiting_stages_and_what_each_gets(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    requested_id, requested = await _document(store, database, "requested", [_requested(uuid.uuid4())])
    signed_id = uuid.uuid4()
    _, signed = await _document(
        store, database, "signed", [_requested(signed_id), _built(signed_id, 3), _signed(signed_id, 3)]
    )
    # a signed document the sender already took into a lote: the lote is what gets re-driven
    lote_started_id = uuid.uuid4()
    in_lote = await _in_lote(store, database, 4, "sending", lote_started_id)
    started = await _lote(store, lote_started_id, in_lote)
    # lotes sent to SIFEN: only a poll or a reconcile, never a submission
    sent_lote, unknown_lote, closed_lote = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await _lote(
        store, sent_lote, await _in_lote(store, database, 5, "sent", sent_lote),
        LoteSubmitted(lote_id=sent_lote, sifen_code="0300", sifen_message="ok", protocol="123"),
    )  # fmt: skip
    await _lote(
        store, unknown_lote, await _in_lote(store, database, 6, "sending", unknown_lote),
        LoteOutcomeUnknown(lote_id=unknown_lote, reason="timeout"),
    )  # fmt: skip
    await _lote(
        store, closed_lote, await _in_lote(store, database, 7, "sent", closed_lote),
        LoteSubmitted(lote_id=closed_lote, sifen_code="0300", sifen_message="ok", protocol="124"),
        LotePolled(lote_id=closed_lote, sifen_code="0362", sifen_message="ok", results=()),
    )  # fmt: skip
    await _forget_outbox(database)
    await asyncio.sleep(AFTER_S + 0.05)

    result = await _sweeper(store).sweep()
    got = {r.stream: r for r in result.redriven}
    assert got[document_stream(requested_id)].stage == "builder"
    assert got[document_stream(requested_id)].envelope.message_id == requested[-1].message_id
    assert got[document_stream(signed_id)].stage == "sender"
    assert got[document_stream(signed_id)].envelope.message_id == signed[-1].message_id
    assert document_stream(in_lote.document_id) not in got
    # a lote recorded but maybe never submitted: its own event again (the sender claims an attempt
    # before its SOAP call, so a repeat can only reconcile)
    assert got[lote_stream(lote_started_id)].envelope.message_id == started[0].message_id
    poll = got[lote_stream(sent_lote)].envelope
    assert poll.type == PollLote.TYPE and poll.payload["protocol"] == "123"
    reconcile = got[lote_stream(unknown_lote)].envelope
    assert reconcile.type == ReconcileLote.TYPE and reconcile.payload["lote_id"] == str(unknown_lote)
    assert lote_stream(closed_lote) not in got
    assert len(got) == 5
    queued = await database.pool.fetch("SELECT routing_key FROM outbox")
    assert sorted(r["routing_key"] for r in queued) == sorted(
        ["document.requested", "document.signed", "lote.submission_started", "lote.poll", "lote.reconcile"]
    )


async def test_one_sweeper_at_a_time(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    lone = uuid.uuid4()
    await _document(store, database, "built", [_requested(lone), _built(lone, 8)])
    await _forget_outbox(database)
    await asyncio.sleep(AFTER_S + 0.05)
    async with database.pool.acquire() as holder:
        await holder.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        try:
            held = await _sweeper(store).sweep()
        finally:
            await holder.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
    assert not held.locked and held.redriven == []
    assert await database.pool.fetchval("SELECT count(*) FROM outbox") == 0
    both = await asyncio.gather(_sweeper(store).sweep(), _sweeper(store).sweep())
    assert sum(len(r.redriven) for r in both) == 1
    assert await database.pool.fetchval("SELECT count(*) FROM outbox") == 1
    assert await database.pool.fetchval("SELECT attempts FROM recovery_attempts") == 1


async def test_redrives_are_bounded_per_waiting_state(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    document_id = uuid.uuid4()
    await _document(store, database, "requested", [_requested(document_id)])
    await _forget_outbox(database)
    sweeper = _sweeper(store, max_attempts=2, batch_size=1)
    redriven = []
    for _ in range(4):
        await asyncio.sleep(AFTER_S + 0.05)
        redriven.append(len((await sweeper.sweep()).redriven))
    # twice (an operator's parked message is not hammered), then left alone
    assert redriven == [1, 1, 0, 0]
    assert await database.pool.fetchval("SELECT attempts FROM recovery_attempts") == 2
    # the exhausted document does not crowd out a newer stuck one (one candidate per sweep here)
    other = uuid.uuid4()
    await _document(store, database, "requested", [_requested(other)])
    await database.pool.execute(
        "UPDATE document_status SET updated_at = now() - interval '30 minutes' WHERE document_id = $1", other
    )
    await asyncio.sleep(AFTER_S + 0.05)
    assert [r.stream for r in (await sweeper.sweep()).redriven] == [document_stream(other)]
    # the first document moves on: its new waiting state gets its own budget
    built = Envelope.wrap(_built(document_id, 9), tenant_id=TENANT, producer="t/1")
    await store.append(document_stream(document_id), 1, [built])
    await database.pool.execute(
        "UPDATE document_status SET status = 'built', stream_version = 2 WHERE document_id = $1", document_id
    )
    await asyncio.sleep(AFTER_S + 0.05)
    again = await sweeper.sweep()
    assert [(r.stream, r.stage) for r in again.redriven] == [(document_stream(document_id), "signer")]
