"""Sender handlers: SIFEN reception of signed documents, sync or in lotes, never a CDC twice.

- ``document.signed``: sync documents go through siRecepDE (intent ``document.submission_started``
  recorded first); the others join a lote (≤50, one tenant, one type) recorded as
  ``lote.submission_started`` together with the inbox claims of the documents' messages.
- ``lote.submission_started``: the first attempt (an inbox claim made before the SOAP call) submits
  the lote. No usable answer (timeout, dropped connection), or a later attempt that cannot know
  what the first one achieved, puts the lote in ``lote.outcome_unknown``: SIFEN may still be
  processing it, so nothing is resent; a ``lote.reconcile`` decides after a pause.
- ``lote.poll``: siResultLoteDE with backoff; 0361 → poll again later, 0362 → one
  ``document.approved`` / ``document.rejected`` per DE; 0360/0364 or too many polls → reconcile.
- ``lote.reconcile``: waits ``reconcile_pause_s`` (longer than the client's read timeout, so a
  request SIFEN was still working on has finished), then asks siConsDE per CDC, approves what SIFEN
  has and resends only the others (sifen-protocol.md §3).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from uuid import UUID, uuid4

from sifenflow_common.artifacts import MEDIA_XML
from sifenflow_common.eventstore.ports import AppendRequest, RecordedEvent, StoreTransaction
from sifenflow_common.messages.commands import PollLote, ReconcileLote
from sifenflow_common.messages.envelope import Envelope, Event, document_stream, lote_stream
from sifenflow_common.messages.events import (
    DocumentApproved,
    DocumentRejected,
    DocumentRequested,
    DocumentSentSync,
    DocumentSigned,
    DocumentSubmissionStarted,
    LoteDocument,
    LoteDocumentResult,
    LoteOutcomeUnknown,
    LotePolled,
    LoteSubmissionStarted,
    LoteSubmitted,
)
from sifenflow_common.sifen.soap.lote import lote_file
from sifenflow_sender.assembler import LoteAssembler
from sifenflow_sender.ports import DeOutcome, SenderDeps, SifenRefused, SifenUnavailable

CONSUMER = "sender"
SUBMIT_ATTEMPT = "sender.submit"  # inbox row = "a submission of this lote was attempted"
POLL_CONSUMER = "sender.poll"
RECONCILE_CONSUMER = "sender.reconcile"
TERMINAL = frozenset({DocumentApproved.TYPE, DocumentRejected.TYPE})
DUPLICATE_CODES = frozenset({"1001", "1002"})  # CDC / DE duplicado: maybe our own first attempt
LOTE_CONCLUDED = "0362"
LOTE_IN_PROCESS = "0361"
RECONCILED = "0422"
RECIBO_TIPO = "55"  # CDC prefix of FacturaSend's recibo digital: never sent to SIFEN


class SenderState:
    """Per-process state of the sender: the open lotes, and the signed XMLs of the lotes it just
    recorded (bounded), so submitting them usually needs no second read of 50 artifacts."""

    def __init__(self, max_size: int = 50, max_wait: float = 0.3, recent: int = 64) -> None:
        self.lotes: LoteAssembler[tuple[Envelope, DocumentSigned, int]] = LoteAssembler(max_size, max_wait)
        self._recent = recent
        self._xmls: OrderedDict[UUID, list[bytes]] = OrderedDict()

    def remember(self, lote_id: UUID, xmls: list[bytes]) -> None:
        self._xmls[lote_id] = xmls
        while len(self._xmls) > self._recent:
            self._xmls.popitem(last=False)

    def take(self, lote_id: UUID) -> list[bytes] | None:
        return self._xmls.pop(lote_id, None)


# ------------------------------------------------------------------ document.signed


async def on_document_signed(envelope: Envelope, deps: SenderDeps, state: SenderState) -> None:
    signed = DocumentSigned.model_validate(envelope.payload)
    if signed.cdc.startswith(RECIBO_TIPO):
        await _approve_recibo(envelope, signed, deps)
        return
    if signed.sync is False:  # a lote document: its type is in the CDC (MT v150 §10.1: iTiDE first)
        document_type = int(signed.cdc[:2])
    else:  # sync, or recorded before document.signed carried it: the request says
        history = await deps.store.read_stream(document_stream(signed.document_id))
        requested = _requested(history)
        if requested.sync:
            await _send_sync(envelope, signed, history, deps)
            return
        document_type = requested.document_type
    key = (envelope.tenant_id, document_type)

    async def flush(items: list[tuple[Envelope, DocumentSigned, int]]) -> None:
        await _open_lote(items, deps, state)

    await state.lotes.join(key, (envelope, signed, document_type), flush)


async def _approve_recibo(envelope: Envelope, signed: DocumentSigned, deps: SenderDeps) -> None:
    """A recibo digital is never sent to SIFEN (facturasend-api §2.4): signed means approved."""
    assert envelope.stream is not None and envelope.stream_version is not None
    approved = DocumentApproved(
        document_id=signed.document_id, cdc=signed.cdc, sifen_code="0260", sifen_message="Aprobado"
    )
    async with deps.store.transaction() as tx:
        if await tx.claim(CONSUMER, envelope.message_id):
            event = envelope.caused(approved, producer=deps.producer)
            await tx.append(envelope.stream, envelope.stream_version, [event])


async def _artifacts(deps: SenderDeps, keys: Sequence[str]) -> list[bytes]:
    """The signed XMLs of a lote, fetched concurrently (the pool spreads them)."""
    return list(await asyncio.gather(*(deps.artifacts.get(key) for key in keys)))


def _requested(history: Sequence[RecordedEvent]) -> DocumentRequested:
    for record in history:
        if record.envelope.type == DocumentRequested.TYPE:
            return DocumentRequested.model_validate(record.envelope.payload)
    raise LookupError("document stream without document.requested")


async def _open_lote(
    items: list[tuple[Envelope, DocumentSigned, int]], deps: SenderDeps, state: SenderState
) -> None:
    xmls = await _artifacts(deps, [signed.signed_xml_sha256 for _, signed, _ in items])
    request_sha256 = await deps.artifacts.put(lote_file(xmls), MEDIA_XML)
    lote_id = uuid4()
    first = items[0][0]
    async with deps.store.transaction() as tx:
        members: list[LoteDocument] = []
        chosen: list[bytes] = []
        claimed = await tx.claim_many(CONSUMER, [envelope.message_id for envelope, _, _ in items])
        for (envelope, signed, _), xml in zip(items, xmls, strict=True):
            if envelope.message_id in claimed:
                claimed.discard(envelope.message_id)  # the same message twice in one lote: once
                chosen.append(xml)
                members.append(
                    LoteDocument(
                        document_id=signed.document_id,
                        cdc=signed.cdc,
                        signed_xml_sha256=signed.signed_xml_sha256,
                    )
                )
        if not members:
            return
        if len(members) < len(items):  # some were duplicate deliveries: keep the lote file exact
            request_sha256 = await deps.artifacts.put(lote_file(chosen), MEDIA_XML)
        started = LoteSubmissionStarted(
            lote_id=lote_id,
            document_type=items[0][2],
            documents=tuple(members),
            request_sha256=request_sha256,
        )
        event = Envelope.wrap(
            started, tenant_id=first.tenant_id, producer=deps.producer, correlation_id=first.correlation_id,
            causation_id=first.message_id,
        )  # fmt: skip
        await tx.append(lote_stream(lote_id), 0, [event])
    state.remember(lote_id, chosen)  # committed: the submission will most likely run here


# ------------------------------------------------------------------ sync reception


async def _send_sync(
    envelope: Envelope, signed: DocumentSigned, history: Sequence[RecordedEvent], deps: SenderDeps
) -> None:
    stream = document_stream(signed.document_id)
    version = history[-1].stream_version if history else 0
    if any(r.envelope.type in TERMINAL for r in history):
        async with deps.store.transaction() as tx:
            await tx.claim(CONSUMER, envelope.message_id)
        return
    attempted = any(r.envelope.type == DocumentSubmissionStarted.TYPE for r in history)
    if attempted:
        # A previous attempt may have reached SIFEN, which may still be working on it: let it
        # finish (a pause longer than our read timeout), then ask before sending the CDC again.
        await deps.clock.sleep(deps.config.reconcile_pause_s)
        lookup = await deps.sifen.lookup_de(envelope.tenant_id, signed.cdc)
        if lookup.found:
            approved = DocumentApproved(
                document_id=signed.document_id, cdc=signed.cdc, sifen_code=lookup.code,
                sifen_message=lookup.message, protocol=lookup.protocol,
            )  # fmt: skip
            await _finish_sync(envelope, stream, version, [approved], deps)
            return
    else:
        intent = DocumentSubmissionStarted(
            document_id=signed.document_id, cdc=signed.cdc, signed_xml_sha256=signed.signed_xml_sha256
        )
        await deps.store.append(stream, version, [envelope.caused(intent, producer=deps.producer)])
        version += 1
    xml = await deps.artifacts.get(signed.signed_xml_sha256)
    try:
        reply = await deps.sifen.send_de(envelope.tenant_id, xml)
        outcome, exchange = reply.outcome, reply.exchange
    except SifenRefused as refused:  # the request itself refused (e.g. 0160): the DE is rejected
        outcome = DeOutcome(signed.cdc, "Rechazado", refused.code, refused.message)
        exchange = refused.exchange
    if not outcome.approved and outcome.code in DUPLICATE_CODES:
        lookup = await deps.sifen.lookup_de(envelope.tenant_id, signed.cdc)
        if lookup.found:
            outcome = DeOutcome(signed.cdc, "Aprobado", lookup.code, lookup.message, lookup.protocol)
    request_sha = await deps.artifacts.put(exchange.request_xml or xml, MEDIA_XML)
    response_sha = await deps.artifacts.put(exchange.response_xml, MEDIA_XML)
    sent = DocumentSentSync(
        document_id=signed.document_id,
        cdc=signed.cdc,
        request_sha256=request_sha,
        response_sha256=response_sha,
    )
    await _finish_sync(
        envelope, stream, version, [sent, _result_event(signed.document_id, outcome, None)], deps
    )


async def _finish_sync(
    envelope: Envelope, stream: str, version: int, events: Sequence[Event], deps: SenderDeps
) -> None:
    async with deps.store.transaction() as tx:
        if not await tx.claim(CONSUMER, envelope.message_id):
            return
        await tx.append(stream, version, [envelope.caused(e, producer=deps.producer) for e in events])


def _result_event(document_id: UUID, outcome: DeOutcome, lote_id: UUID | None) -> Event:
    if outcome.approved:
        return DocumentApproved(
            document_id=document_id, cdc=outcome.cdc, sifen_code=outcome.code, sifen_message=outcome.message,
            with_observation=outcome.with_observation, lote_id=lote_id, protocol=outcome.protocol,
        )  # fmt: skip
    return DocumentRejected(
        document_id=document_id, cdc=outcome.cdc, sifen_code=outcome.code, sifen_message=outcome.message,
        lote_id=lote_id,
    )  # fmt: skip


# ------------------------------------------------------------------ lote submission


async def on_lote_submission_started(
    envelope: Envelope, deps: SenderDeps, state: SenderState | None = None
) -> None:
    started = LoteSubmissionStarted.model_validate(envelope.payload)
    stream = lote_stream(started.lote_id)
    if await deps.store.stream_version(stream) > 1:
        return  # already submitted or reconciled
    async with deps.store.transaction() as tx:
        first_attempt = await tx.claim(SUBMIT_ATTEMPT, envelope.message_id)
    if not first_attempt:  # an earlier attempt may have reached SIFEN: its outcome is unknown
        await _outcome_unknown(envelope, started.lote_id, deps, reason="intento previo incierto")
        return
    xmls = (state.take(started.lote_id) if state else None) or await _artifacts(
        deps, [d.signed_xml_sha256 for d in started.documents]
    )
    try:
        receipt = await deps.sifen.send_lote(envelope.tenant_id, xmls)
    except SifenUnavailable as unknown:  # timeout, dropped connection: SIFEN may still process it
        await _outcome_unknown(envelope, started.lote_id, deps, reason=str(unknown)[:200])
        return
    except SifenRefused as refused:  # e.g. 0301 lote no encolado: ask per CDC, then resend the rest
        response_sha = await deps.artifacts.put(refused.exchange.response_xml, MEDIA_XML)
        submitted = LoteSubmitted(
            lote_id=started.lote_id, sifen_code=refused.code, sifen_message=refused.message,
            response_sha256=response_sha,
        )  # fmt: skip
        reconcile = ReconcileLote(lote_id=started.lote_id, reason=refused.code)
        async with deps.store.transaction() as tx:
            await tx.append(stream, 1, [envelope.caused(submitted, producer=deps.producer)])
            await tx.enqueue([envelope.caused(reconcile, producer=deps.producer)])
        return
    response_sha = await deps.artifacts.put(receipt.exchange.response_xml, MEDIA_XML)
    submitted = LoteSubmitted(
        lote_id=started.lote_id, sifen_code=receipt.code, sifen_message=receipt.message,
        protocol=receipt.protocol, response_sha256=response_sha,
    )  # fmt: skip
    poll = PollLote(lote_id=started.lote_id, protocol=receipt.protocol, attempt=1)
    async with deps.store.transaction() as tx:
        await tx.append(stream, 1, [envelope.caused(submitted, producer=deps.producer)])
        await tx.enqueue([envelope.caused(poll, producer=deps.producer)])


async def _outcome_unknown(envelope: Envelope, lote_id: UUID, deps: SenderDeps, *, reason: str) -> None:
    """Record that SIFEN may still be processing the lote (no resend in this state) and schedule
    the reconciliation that decides, in one transaction. A concurrent attempt that already wrote
    the lote's second event makes the append fail: the retry then finds the lote settled."""
    unknown = LoteOutcomeUnknown(lote_id=lote_id, reason=reason)
    reconcile = ReconcileLote(lote_id=lote_id, reason=reason)
    async with deps.store.transaction() as tx:
        await tx.append(lote_stream(lote_id), 1, [envelope.caused(unknown, producer=deps.producer)])
        await tx.enqueue([envelope.caused(reconcile, producer=deps.producer)])


# ------------------------------------------------------------------ polling


def poll_delay(attempt: int, deps: SenderDeps, hint_s: int | None = None) -> float:
    """Wait before poll ``attempt``: first max(dTpoProces, first_poll_s), then exponential, capped."""
    cfg = deps.config
    base = max(cfg.first_poll_s, float(hint_s or 0))
    return float(min(cfg.poll_max_s, base * cfg.poll_backoff ** (attempt - 1)))


async def on_poll_lote(envelope: Envelope, deps: SenderDeps) -> None:
    command = PollLote.model_validate(envelope.payload)
    stream = lote_stream(command.lote_id)
    history = await deps.store.read_stream(stream)
    if not history or any(r.envelope.type == LotePolled.TYPE for r in history):
        async with deps.store.transaction() as tx:
            await tx.claim(POLL_CONSUMER, envelope.message_id)
        return
    started = LoteSubmissionStarted.model_validate(history[0].envelope.payload)
    await deps.clock.sleep(poll_delay(command.attempt, deps))
    poll = await deps.sifen.poll_lote(envelope.tenant_id, command.protocol)
    response_sha = await deps.artifacts.put(poll.exchange.response_xml, MEDIA_XML)
    if poll.code == LOTE_IN_PROCESS and command.attempt < deps.config.max_poll_attempts:
        again = PollLote(lote_id=command.lote_id, protocol=command.protocol, attempt=command.attempt + 1)
        async with deps.store.transaction() as tx:
            if await tx.claim(POLL_CONSUMER, envelope.message_id):
                await tx.enqueue([envelope.caused(again, producer=deps.producer)])
        return
    if poll.code != LOTE_CONCLUDED:  # 0360 unknown lote, 0364 too late, or still 0361 after too long
        reconcile = ReconcileLote(lote_id=command.lote_id, reason=poll.code)
        async with deps.store.transaction() as tx:
            if await tx.claim(POLL_CONSUMER, envelope.message_id):
                await tx.enqueue([envelope.caused(reconcile, producer=deps.producer)])
        return
    by_cdc = {r.cdc: r for r in poll.results}
    outcomes: list[tuple[LoteDocument, DeOutcome]] = []
    missing: list[LoteDocument] = []
    for doc in started.documents:
        result = by_cdc.get(doc.cdc)
        if result is None:
            missing.append(doc)
        else:
            outcomes.append((doc, result))
    if missing:  # sifen-protocol.md §2.3: DEs not listed → query by CDC
        outcomes.extend(await _lookups(envelope.tenant_id, missing, deps))
    outcomes = await _unless_already_approved(envelope.tenant_id, outcomes, deps)
    polled = LotePolled(
        lote_id=command.lote_id, sifen_code=poll.code, sifen_message=poll.message,
        results=tuple(_lote_result(doc, o) for doc, o in outcomes), response_sha256=response_sha,
    )  # fmt: skip
    async with deps.store.transaction() as tx:
        if not await tx.claim(POLL_CONSUMER, envelope.message_id):
            return
        await tx.append(stream, len(history), [envelope.caused(polled, producer=deps.producer)])
        await _record_results(tx, envelope, command.lote_id, outcomes, deps)


def _lote_result(doc: LoteDocument, outcome: DeOutcome) -> LoteDocumentResult:
    return LoteDocumentResult(
        document_id=doc.document_id, cdc=doc.cdc, status=outcome.status, sifen_code=outcome.code,
        sifen_message=outcome.message,
    )  # fmt: skip


async def _record_results(
    tx: StoreTransaction,
    cause: Envelope,
    lote_id: UUID,
    outcomes: Sequence[tuple[LoteDocument, DeOutcome]],
    deps: SenderDeps,
) -> None:
    """One ``document.approved``/``document.rejected`` per DE, on its own stream, unless that
    stream already holds a final result (two round trips for the whole lote)."""
    histories = await tx.read_streams([document_stream(doc.document_id) for doc, _ in outcomes])
    appends: list[AppendRequest] = []
    for doc, outcome in outcomes:
        stream = document_stream(doc.document_id)
        history = histories[stream]
        if any(r.envelope.type in TERMINAL for r in history) or any(a.stream == stream for a in appends):
            continue
        version = history[-1].stream_version if history else 0
        event = _result_event(doc.document_id, outcome, lote_id)
        appends.append(AppendRequest(stream, version, [cause.caused(event, producer=deps.producer)]))
    await tx.append_many(appends)


# ------------------------------------------------------------------ reconciliation


async def _lookups(
    tenant_id: UUID, docs: Sequence[LoteDocument], deps: SenderDeps
) -> list[tuple[LoteDocument, DeOutcome]]:
    found: list[tuple[LoteDocument, DeOutcome]] = []
    for doc in docs:
        lookup = await deps.sifen.lookup_de(tenant_id, doc.cdc)
        if lookup.found:
            found.append((doc, DeOutcome(doc.cdc, "Aprobado", lookup.code, lookup.message, lookup.protocol)))
    return found


async def _unless_already_approved(
    tenant_id: UUID, outcomes: list[tuple[LoteDocument, DeOutcome]], deps: SenderDeps
) -> list[tuple[LoteDocument, DeOutcome]]:
    """A DE rejected as duplicated (1001 CDC / 1002 DE duplicado) may be our own earlier
    submission that SIFEN approved (a resend after an unknown outcome): siConsDE decides."""
    checked: list[tuple[LoteDocument, DeOutcome]] = []
    for doc, outcome in outcomes:
        if not outcome.approved and outcome.code in DUPLICATE_CODES:
            lookup = await deps.sifen.lookup_de(tenant_id, doc.cdc)
            if lookup.found:
                outcome = DeOutcome(doc.cdc, "Aprobado", lookup.code, lookup.message, lookup.protocol)
        checked.append((doc, outcome))
    return checked


async def on_reconcile_lote(envelope: Envelope, deps: SenderDeps) -> None:
    """Ask SIFEN about every CDC of a lote whose outcome is unknown or refused, after the pause;
    approve the ones it has, put the others in a new lote."""
    command = ReconcileLote.model_validate(envelope.payload)
    stream = lote_stream(command.lote_id)
    history = await deps.store.read_stream(stream)
    if not history or any(r.envelope.type == LotePolled.TYPE for r in history):
        async with deps.store.transaction() as tx:
            await tx.claim(RECONCILE_CONSUMER, envelope.message_id)
        return
    started = LoteSubmissionStarted.model_validate(history[0].envelope.payload)
    # SIFEN may still be working on a request we gave up on: asking now would find nothing and
    # resend CDCs SIFEN is about to approve. The pause is longer than the client's read timeout.
    await deps.clock.sleep(deps.config.reconcile_pause_s)
    await _reconcile(envelope, command.lote_id, started, deps, reason=command.reason)


async def _reconcile(
    envelope: Envelope, lote_id: UUID, started: LoteSubmissionStarted, deps: SenderDeps, *, reason: str
) -> None:
    stream = lote_stream(lote_id)
    documents = started.documents
    found = await _lookups(envelope.tenant_id, documents, deps)
    approved = {doc.cdc for doc, _ in found}
    remaining = tuple(d for d in documents if d.cdc not in approved)
    resend: Envelope | None = None
    if remaining:
        xmls = await _artifacts(deps, [d.signed_xml_sha256 for d in remaining])
        resend_id = uuid4()
        again = LoteSubmissionStarted(
            lote_id=resend_id, document_type=started.document_type, documents=remaining,
            request_sha256=await deps.artifacts.put(lote_file(xmls), MEDIA_XML),
        )  # fmt: skip
        resend = envelope.caused(again, producer=deps.producer)
    polled = LotePolled(
        lote_id=lote_id, sifen_code=RECONCILED, sifen_message=f"Conciliado por consulta DE ({reason})",
        results=tuple(_lote_result(doc, o) for doc, o in found),
    )  # fmt: skip
    async with deps.store.transaction() as tx:
        if not await tx.claim(RECONCILE_CONSUMER, envelope.message_id):
            return
        current = await tx.read_stream(stream)
        if any(r.envelope.type == LotePolled.TYPE for r in current):
            return  # another attempt already closed this lote
        await tx.append(stream, len(current), [envelope.caused(polled, producer=deps.producer)])
        await _record_results(tx, envelope, lote_id, found, deps)
        if resend is not None:
            await tx.append(
                lote_stream(LoteSubmissionStarted.model_validate(resend.payload).lote_id), 0, [resend]
            )
