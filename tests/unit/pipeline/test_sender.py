"""Sender handlers on fakes: sync reception, lote assembly, submission, polling, reconciliation.

Rules checked: MT v150 siRecepLoteDE ≤50 DE of one iTiDE per lote (0363 otherwise); polling
0361/0362 (siResultLoteDE); approval decided by dEstRes; retry policy of sifen-protocol.md §3:
never resend a CDC whose first outcome is unknown without asking siConsDE first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from uuid import UUID

import pytest

from sifenflow_common.artifacts import InMemoryArtifactStore
from sifenflow_common.eventstore.memory import InMemoryEventStore
from sifenflow_common.eventstore.ports import RecordedEvent
from sifenflow_common.messages.envelope import Envelope, lote_stream
from sifenflow_sender.config import SenderSettings, SimulatorSenderSettings
from sifenflow_sender.handlers import (
    SenderState,
    on_document_signed,
    on_lote_submission_started,
    on_poll_lote,
    on_reconcile_lote,
)
from sifenflow_sender.ports import (
    DeLookup,
    DeOutcome,
    Exchange,
    LotePoll,
    LoteReceipt,
    SenderConfig,
    SenderDeps,
    SyncReply,
)
from tests.unit.pipeline.fakes import (
    FakeClock,
    FakeSifen,
    cdc_for,
    refused,
    seed_signed,
    types_in,
    unavailable,
)

pytestmark = pytest.mark.unit


def make_deps(sifen: FakeSifen | None = None) -> SenderDeps:
    return SenderDeps(
        InMemoryEventStore(),
        InMemoryArtifactStore(),
        sifen or FakeSifen(),
        FakeClock(),
        SenderConfig(lote_max_wait_s=0.05, first_poll_s=1.0, poll_backoff=2.0),
    )


def mem(deps: SenderDeps) -> tuple[InMemoryEventStore, InMemoryArtifactStore, FakeSifen]:
    assert isinstance(deps.store, InMemoryEventStore) and isinstance(deps.artifacts, InMemoryArtifactStore)
    assert isinstance(deps.sifen, FakeSifen)
    return deps.store, deps.artifacts, deps.sifen


# ------------------------------------------------------------------ sync (siRecepDE)


async def test_sync_document_is_approved_with_intent_recorded_first() -> None:
    deps = make_deps()
    store, artifacts, sifen = mem(deps)
    signed = await seed_signed(store, artifacts, 1, sync=True)

    await on_document_signed(signed, deps, SenderState())

    assert signed.stream is not None
    assert types_in(store, signed.stream)[3:] == [
        "document.submission_started",
        "document.sent_sync",
        "document.approved",
    ]
    approved = store.streams[signed.stream][-1].envelope.payload
    assert approved["sifen_code"] == "0260" and approved["protocol"] == "1234567890"
    sent = store.streams[signed.stream][-2].envelope.payload
    assert await artifacts.get(sent["response_sha256"]) == b"<rRetEnviDe/>"
    assert len(sifen.sent_de) == 1 and sifen.lookups == []


async def test_sync_unknown_outcome_asks_consulta_de_before_resending() -> None:
    deps = make_deps()
    store, artifacts, sifen = mem(deps)
    signed = await seed_signed(store, artifacts, 2, sync=True)
    sifen.de_answers.append(unavailable())

    with pytest.raises(Exception, match="timeout"):
        await on_document_signed(signed, deps, SenderState())
    # SIFEN did approve the first request; only the answer was lost.
    sifen.approved[cdc_for(2)] = "555"
    await on_document_signed(signed, deps, SenderState())  # the bus redelivers

    assert len(sifen.sent_de) == 1, "the CDC must not be sent twice"
    assert sifen.lookups == [cdc_for(2)]
    assert isinstance(deps.clock, FakeClock) and deps.clock.slept == [deps.config.reconcile_pause_s]
    assert signed.stream is not None
    assert types_in(store, signed.stream)[-1] == "document.approved"
    assert store.streams[signed.stream][-1].envelope.payload["sifen_code"] == "0422"


async def test_sync_unknown_outcome_resends_only_when_sifen_does_not_have_it() -> None:
    deps = make_deps()
    store, artifacts, sifen = mem(deps)
    signed = await seed_signed(store, artifacts, 3, sync=True)
    sifen.de_answers.append(unavailable())

    with pytest.raises(Exception, match="timeout"):
        await on_document_signed(signed, deps, SenderState())
    await on_document_signed(signed, deps, SenderState())

    assert sifen.lookups == [cdc_for(3)] and len(sifen.sent_de) == 2
    assert signed.stream is not None
    assert types_in(store, signed.stream).count("document.submission_started") == 1
    assert types_in(store, signed.stream)[-1] == "document.approved"


class LateSifen(FakeSifen):
    """SIFEN that keeps working on a request after the client gave up on it: the request is lost
    (timeout), and what it carried is approved ``processing_s`` of clock time later."""

    def __init__(self, clock: FakeClock, processing_s: float) -> None:
        super().__init__()
        self.clock = clock
        self.processing_s = processing_s
        self.pending: dict[str, float] = {}  # cdc -> clock time when SIFEN approves it
        self.received: list[str] = []  # every CDC SIFEN received, once per reception

    def _late(self, cdcs: list[str]) -> None:
        self.received += cdcs
        for cdc in cdcs:
            self.pending.setdefault(cdc, sum(self.clock.slept) + self.processing_s)
        raise unavailable()

    async def send_de(self, tenant_id: UUID, signed_xml: bytes) -> SyncReply:
        if not self.received:
            self.sent_de.append(signed_xml)
            self._late([_cdcs(signed_xml)])
        self.received.append(_cdcs(signed_xml))
        return await super().send_de(tenant_id, signed_xml)

    async def send_lote(self, tenant_id: UUID, signed_xmls: Sequence[bytes]) -> LoteReceipt:
        if not self.received:
            self.sent_lotes.append(list(signed_xmls))
            self._late([_cdcs(x) for x in signed_xmls])
        self.received += [_cdcs(x) for x in signed_xmls]
        return await super().send_lote(tenant_id, signed_xmls)

    async def lookup_de(self, tenant_id: UUID, cdc: str) -> DeLookup:
        if cdc in self.pending and sum(self.clock.slept) >= self.pending[cdc]:
            self.approved[cdc] = "77"
        return await super().lookup_de(tenant_id, cdc)


def late_deps(processing_s: float) -> tuple[SenderDeps, LateSifen]:
    clock = FakeClock()
    sifen = LateSifen(clock, processing_s)
    config = SenderConfig(lote_max_wait_s=0.05, sifen_read_timeout_s=45, reconcile_pause_s=60)
    return SenderDeps(InMemoryEventStore(), InMemoryArtifactStore(), sifen, clock, config), sifen


async def test_sync_answer_later_than_the_timeout_is_found_after_the_pause_not_sent_again() -> None:
    """SIFEN approves the first siRecepDE 50 s after the client gave up (read timeout 45 s): the
    retry waits 60 s before siConsDE, finds it, and never sends the CDC a second time."""
    deps, sifen = late_deps(processing_s=50)
    store, artifacts, _ = mem(deps)
    signed = await seed_signed(store, artifacts, 4, sync=True)

    with pytest.raises(Exception, match="timeout"):
        await on_document_signed(signed, deps, SenderState())
    await on_document_signed(signed, deps, SenderState())  # the bus redelivers

    assert sifen.received == [cdc_for(4)]
    assert signed.stream is not None and types_in(store, signed.stream)[-1] == "document.approved"


async def test_sync_rejection_keeps_code_and_message() -> None:
    deps = make_deps()
    store, artifacts, sifen = mem(deps)
    signed = await seed_signed(store, artifacts, 4, sync=True)
    outcome = DeOutcome(cdc_for(4), "Rechazado", "1101", "Timbrado no corresponde al RUC")
    sifen.de_answers.append(SyncReply(outcome, Exchange(b"<req/>", b"<resp/>")))

    await on_document_signed(signed, deps, SenderState())

    assert signed.stream is not None
    last = store.streams[signed.stream][-1].envelope
    assert last.type == "document.rejected"
    assert (last.payload["sifen_code"], last.payload["sifen_message"]) == (
        "1101",
        "Timbrado no corresponde al RUC",
    )


async def test_sync_duplicate_rejection_of_our_own_first_attempt_counts_as_approved() -> None:
    deps = make_deps()
    store, artifacts, sifen = mem(deps)
    signed = await seed_signed(store, artifacts, 5, sync=True)
    sifen.approved[cdc_for(5)] = "77"  # approved earlier, e.g. by a lost answer
    sifen.de_answers.append(
        SyncReply(DeOutcome(cdc_for(5), "Rechazado", "1001", "CDC duplicado"), Exchange())
    )

    await on_document_signed(signed, deps, SenderState())

    assert signed.stream is not None
    assert types_in(store, signed.stream)[-1] == "document.approved"


# ------------------------------------------------------------------ lote assembly


async def test_fifty_signed_documents_make_one_lote_and_the_51st_starts_another() -> None:
    deps = make_deps()
    store, artifacts, _ = mem(deps)
    state = SenderState(max_size=50, max_wait=0.05)
    signed = [await seed_signed(store, artifacts, n) for n in range(51)]

    await asyncio.gather(*(on_document_signed(s, deps, state) for s in signed))

    lotes = [e for e in store.take_outbox() if e.type == "lote.submission_started"]
    assert sorted(len(e.payload["documents"]) for e in lotes) == [1, 50]
    cdcs = [d["cdc"] for e in lotes for d in e.payload["documents"]]
    assert sorted(cdcs) == sorted(cdc_for(n) for n in range(51))
    lote = max(lotes, key=lambda e: len(e.payload["documents"]))
    request = await artifacts.get(lote.payload["request_sha256"])
    assert request.startswith(b'<?xml version="1.0" encoding="UTF-8"?><rLoteDE><rDE>')
    assert request.count(b"<rDE>") == 50


async def test_lotes_hold_one_document_type_and_one_tenant() -> None:
    deps = make_deps()
    store, artifacts, _ = mem(deps)
    state = SenderState(max_size=50, max_wait=0.05)
    signed = [await seed_signed(store, artifacts, n, tipo=1 + 4 * (n % 2)) for n in range(6)]

    await asyncio.gather(*(on_document_signed(s, deps, state) for s in signed))

    lotes = [e for e in store.take_outbox() if e.type == "lote.submission_started"]
    assert sorted((e.payload["document_type"], len(e.payload["documents"])) for e in lotes) == [
        (1, 3),
        (5, 3),
    ]


class CountingReads(InMemoryEventStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def read_stream(self, stream: str, from_version: int = 1) -> list[RecordedEvent]:
        self.reads += 1
        return await super().read_stream(stream, from_version)


@pytest.mark.parametrize("legacy", [False, True])
async def test_lote_documents_are_grouped_by_type_without_reading_their_streams(legacy: bool) -> None:
    """document.signed carries ``sync`` and the CDC starts with iTiDE (MT v150 §10.1), so a lote
    document costs the sender no stream read; events recorded before ``sync`` existed are still
    grouped right, from document.requested."""
    store = CountingReads()
    deps = SenderDeps(store, InMemoryArtifactStore(), FakeSifen(), FakeClock(), make_deps().config)
    state = SenderState(max_size=50, max_wait=0.05)
    artifacts = deps.artifacts
    assert isinstance(artifacts, InMemoryArtifactStore)
    signed = [await seed_signed(store, artifacts, n, tipo=(1, 5, 6)[n % 3], legacy=legacy) for n in range(9)]
    store.reads = 0

    await asyncio.gather(*(on_document_signed(s, deps, state) for s in signed))

    lotes = [e for e in store.take_outbox() if e.type == "lote.submission_started"]
    assert sorted((e.payload["document_type"], len(e.payload["documents"])) for e in lotes) == [
        (1, 3),
        (5, 3),
        (6, 3),
    ]
    assert store.reads == (9 if legacy else 0)


@pytest.mark.parametrize("sync", [False, True])
async def test_a_signed_recibo_is_approved_without_going_to_sifen(sync: bool) -> None:
    """facturasend-api §2.4: the recibo digital (CDC 55…) is signed, never sent to SIFEN."""
    deps = make_deps()
    store, artifacts, sifen = mem(deps)
    state = SenderState(max_size=50, max_wait=0.01)
    recibo = await seed_signed(store, artifacts, 4, tipo=55, sync=sync)

    await on_document_signed(recibo, deps, state)
    await on_document_signed(recibo, deps, state)  # redelivery: approved once
    await asyncio.sleep(0.03)  # no lote would open either

    assert recibo.stream is not None
    assert types_in(store, recibo.stream)[-1] == "document.approved"
    assert types_in(store, recibo.stream).count("document.approved") == 1
    [approved] = [e for e in store.take_outbox() if e.type == "document.approved"]
    assert (approved.payload["sifen_code"], approved.payload["lote_id"]) == ("0260", None)
    assert sifen.sent_de == [] and sifen.sent_lotes == []


async def test_redelivered_signed_document_never_joins_a_second_lote() -> None:
    deps = make_deps()
    store, artifacts, _ = mem(deps)
    state = SenderState(max_size=50, max_wait=0.01)
    signed = await seed_signed(store, artifacts, 9)

    await on_document_signed(signed, deps, state)
    await on_document_signed(signed, deps, state)

    lotes = [e for e in store.take_outbox() if e.type == "lote.submission_started"]
    assert len(lotes) == 1


async def test_a_duplicate_delivery_in_the_same_lote_window_is_kept_out_of_the_lote_file() -> None:
    deps = make_deps()
    store, artifacts, _ = mem(deps)
    state = SenderState(max_size=50, max_wait=0.05)
    one, two = await seed_signed(store, artifacts, 1), await seed_signed(store, artifacts, 2)

    await asyncio.gather(*(on_document_signed(s, deps, state) for s in (one, two, one)))

    [lote] = [e for e in store.take_outbox() if e.type == "lote.submission_started"]
    assert sorted(d["cdc"] for d in lote.payload["documents"]) == [cdc_for(1), cdc_for(2)]
    assert (await artifacts.get(lote.payload["request_sha256"])).count(b"<rDE>") == 2


# ------------------------------------------------------------------ submission and polling


async def _one_lote(deps: SenderDeps, count: int) -> Envelope:
    store, artifacts, _ = mem(deps)
    state = SenderState(max_size=50, max_wait=0.01)
    signed = [await seed_signed(store, artifacts, n) for n in range(count)]
    await asyncio.gather(*(on_document_signed(s, deps, state) for s in signed))
    [started] = [e for e in store.take_outbox() if e.type == "lote.submission_started"]
    return started


async def test_submitted_lote_is_polled_until_concluded_and_each_de_gets_its_result() -> None:
    deps = make_deps()
    store, _, sifen = mem(deps)
    started = await _one_lote(deps, 3)
    sifen.rejected[cdc_for(1)] = ("1003", "DV del CDC inválido")

    await on_lote_submission_started(started, deps)
    [poll] = store.take_outbox()[1:]  # lote.submitted, then the lote.poll command
    assert poll.type == "lote.poll" and poll.kind == "command" and poll.payload["attempt"] == 1
    sifen.poll_answers.append(LotePoll("0361", "Lote en procesamiento", (), Exchange()))

    await on_poll_lote(poll, deps)
    [again] = store.take_outbox()
    assert again.type == "lote.poll" and again.payload["attempt"] == 2

    await on_poll_lote(again, deps)
    results = {e.payload["cdc"]: e for e in store.take_outbox() if e.type.startswith("document.")}
    assert results[cdc_for(0)].type == "document.approved"
    assert results[cdc_for(1)].type == "document.rejected"
    assert results[cdc_for(1)].payload["sifen_code"] == "1003"
    assert results[cdc_for(2)].payload["lote_id"] == started.payload["lote_id"]
    assert types_in(store, lote_stream(started.payload["lote_id"])) == [
        "lote.submission_started",
        "lote.submitted",
        "lote.polled",
    ]
    assert isinstance(deps.clock, FakeClock) and deps.clock.slept == [1.0, 2.0]  # backoff

    await on_poll_lote(again, deps)  # redelivered poll: no second result
    assert [e for e in store.take_outbox() if e.type.startswith("document.")] == []


class CountingArtifacts(InMemoryArtifactStore):
    def __init__(self) -> None:
        super().__init__()
        self.gets = 0

    async def get(self, sha256: str) -> bytes:
        self.gets += 1
        return await super().get(sha256)


async def test_submission_in_the_process_that_recorded_the_lote_reuses_its_signed_xmls() -> None:
    artifacts = CountingArtifacts()
    sifen = FakeSifen()
    deps = SenderDeps(InMemoryEventStore(), artifacts, sifen, FakeClock(), SenderConfig(lote_max_wait_s=0.01))
    store = deps.store
    assert isinstance(store, InMemoryEventStore)
    state = SenderState(max_size=50, max_wait=0.01)
    signed = [await seed_signed(store, artifacts, n) for n in range(3)]
    await asyncio.gather(*(on_document_signed(s, deps, state) for s in signed))
    [started] = [e for e in store.take_outbox() if e.type == "lote.submission_started"]
    reads_before = artifacts.gets

    await on_lote_submission_started(started, deps, state)

    assert artifacts.gets == reads_before  # no second read of the lote's XMLs
    assert sorted(_cdcs(x) for x in sifen.sent_lotes[0]) == sorted(cdc_for(n) for n in range(3))


async def test_lote_without_answer_waits_in_outcome_unknown_then_reconciles_and_resends_only_the_rest() -> (
    None
):
    deps = make_deps()
    store, _, sifen = mem(deps)
    started = await _one_lote(deps, 4)
    sifen.lote_answers.append(unavailable())

    await on_lote_submission_started(started, deps)  # the answer is lost: no exception, no resend

    lote = lote_stream(started.payload["lote_id"])
    assert types_in(store, lote) == ["lote.submission_started", "lote.outcome_unknown"]
    [reconcile] = store.take_outbox()[1:]
    assert reconcile.type == "lote.reconcile" and reconcile.kind == "command"
    assert len(sifen.sent_lotes) == 1 and sifen.lookups == []
    await on_lote_submission_started(started, deps)  # a redelivery while in that state: nothing
    assert len(sifen.sent_lotes) == 1 and store.take_outbox() == []

    # The lost request did reach SIFEN: two of the four were processed and approved.
    sifen.approved[cdc_for(0)] = "10"
    sifen.approved[cdc_for(2)] = "12"
    await on_reconcile_lote(reconcile, deps)

    assert isinstance(deps.clock, FakeClock) and deps.clock.slept == [deps.config.reconcile_pause_s]
    assert sorted(sifen.lookups) == sorted(cdc_for(n) for n in range(4))
    out = store.take_outbox()
    assert sorted(e.payload["cdc"] for e in out if e.type == "document.approved") == [cdc_for(0), cdc_for(2)]
    [resend] = [e for e in out if e.type == "lote.submission_started"]
    assert sorted(d["cdc"] for d in resend.payload["documents"]) == [cdc_for(1), cdc_for(3)]
    assert types_in(store, lote)[-1] == "lote.polled"

    await on_reconcile_lote(reconcile, deps)  # redelivered: the lote is settled, nothing more
    assert store.take_outbox() == [] and len(sifen.lookups) == 4
    await on_lote_submission_started(resend, deps)
    assert [_cdcs(x) for x in sifen.sent_lotes[1]] == [cdc_for(1), cdc_for(3)]


async def test_lote_sifen_approves_after_the_timeout_is_never_sent_twice() -> None:
    """SIFEN approves the lote 50 s after the client gave up (read timeout 45 s): the per-CDC query
    comes only after the 60 s pause, finds every CDC, and nothing is resent."""
    deps, sifen = late_deps(processing_s=50)
    store, _, _ = mem(deps)
    started = await _one_lote(deps, 3)

    await on_lote_submission_started(started, deps)
    [reconcile] = [e for e in store.take_outbox() if e.type == "lote.reconcile"]
    await on_reconcile_lote(reconcile, deps)

    assert sorted(sifen.received) == sorted(cdc_for(n) for n in range(3)), "each CDC received once"
    out = store.take_outbox()
    assert sorted(e.payload["cdc"] for e in out if e.type == "document.approved") == [
        cdc_for(n) for n in range(3)
    ]
    assert [e for e in out if e.type == "lote.submission_started"] == []


async def test_a_retried_submission_whose_first_attempt_may_have_reached_sifen_is_not_resent() -> None:
    deps = make_deps()
    store, _, sifen = mem(deps)
    started = await _one_lote(deps, 2)
    async with store.transaction() as tx:  # the first attempt claimed, then the process died
        await tx.claim("sender.submit", started.message_id)

    await on_lote_submission_started(started, deps)

    assert sifen.sent_lotes == [] and sifen.lookups == []
    assert types_in(store, lote_stream(started.payload["lote_id"]))[-1] == "lote.outcome_unknown"
    assert [e.type for e in store.take_outbox()] == ["lote.outcome_unknown", "lote.reconcile"]


def test_the_reconcile_pause_must_be_longer_than_the_read_timeout() -> None:
    with pytest.raises(ValueError, match="read timeout"):
        SenderConfig(sifen_read_timeout_s=45, reconcile_pause_s=10)
    with pytest.raises(ValueError, match="read timeout"):
        SenderSettings(sifen_read_timeout_s=5, reconcile_pause_s=5).sender_config()
    simulator = SimulatorSenderSettings().sender_config()
    assert simulator.reconcile_pause_s > simulator.sifen_read_timeout_s


async def test_lote_not_queued_0301_is_reconciled_then_resent() -> None:
    deps = make_deps()
    store, _, sifen = mem(deps)
    started = await _one_lote(deps, 2)
    sifen.lote_answers.append(refused("0301", "Lote no encolado para procesamiento"))

    await on_lote_submission_started(started, deps)
    [reconcile] = [e for e in store.take_outbox() if e.type == "lote.reconcile"]
    await on_reconcile_lote(reconcile, deps)

    lote = lote_stream(started.payload["lote_id"])
    assert types_in(store, lote) == ["lote.submission_started", "lote.submitted", "lote.polled"]
    assert store.streams[lote][1].envelope.payload["sifen_code"] == "0301"
    [resend] = [e for e in store.take_outbox() if e.type == "lote.submission_started"]
    assert len(resend.payload["documents"]) == 2
    assert isinstance(deps.clock, FakeClock) and deps.clock.slept == [deps.config.reconcile_pause_s]


async def test_duplicate_cdc_in_a_resent_lote_is_approved_when_sifen_holds_the_first_submission() -> None:
    """MT v150 1001 (CDC duplicado) after a resend: siConsDE finds the first submission approved."""
    deps = make_deps()
    store, _, sifen = mem(deps)
    started = await _one_lote(deps, 2)
    await on_lote_submission_started(started, deps)
    [poll] = [e for e in store.take_outbox() if e.type == "lote.poll"]
    sifen.approved[cdc_for(0)] = "41"  # the earlier lote did get approved
    results = (
        DeOutcome(cdc_for(0), "Rechazado", "1001", "CDC duplicado"),
        DeOutcome(cdc_for(1), "Rechazado", "1001", "CDC duplicado"),
    )
    sifen.poll_answers.append(LotePoll("0362", "Lote procesado", results, Exchange()))

    await on_poll_lote(poll, deps)

    final = {e.payload["cdc"]: e for e in store.take_outbox() if e.type.startswith("document.")}
    assert final[cdc_for(0)].type == "document.approved" and final[cdc_for(0)].payload["protocol"] == "41"
    assert final[cdc_for(1)].type == "document.rejected"  # SIFEN does not have it: a real duplicate
    assert sorted(sifen.lookups) == [cdc_for(0), cdc_for(1)]


async def test_unknown_lote_0360_falls_back_to_consulta_per_cdc() -> None:
    deps = make_deps()
    store, _, sifen = mem(deps)
    started = await _one_lote(deps, 2)
    await on_lote_submission_started(started, deps)
    [poll] = [e for e in store.take_outbox() if e.type == "lote.poll"]
    sifen.poll_answers.append(LotePoll("0360", "Lote inexistente", (), Exchange()))
    sifen.approved[cdc_for(0)] = "1"
    sifen.approved[cdc_for(1)] = "2"

    await on_poll_lote(poll, deps)
    [reconcile] = [e for e in store.take_outbox() if e.type == "lote.reconcile"]
    assert reconcile.payload["reason"] == "0360"
    await on_reconcile_lote(reconcile, deps)

    assert sorted(e.payload["cdc"] for e in store.take_outbox() if e.type == "document.approved") == [
        cdc_for(0),
        cdc_for(1),
    ]


def _cdcs(xml: bytes) -> str:
    start = xml.index(b'Id="') + 4
    return xml[start : start + 44].decode()
