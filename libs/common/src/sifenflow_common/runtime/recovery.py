"""Periodic recovery from the event store: documents and lotes whose last event says a stage should
act, and that have not moved for ``after_s`` seconds, get that stage's input published again.

What is re-driven, by the last event of the stream (the event store decides; the ``document_status``
read model only narrows the candidates to documents not in a final state):

- ``document.requested`` → the builder, ``document.built`` → the signer, ``document.signed`` → the
  sender: the stored event itself, same message id, so a consumer that already handled it drops the
  copy in its inbox. A ``document.signed`` the sender already claimed (it is in a lote) is not
  re-driven: its lote is.
- ``document.submission_started`` (sync reception attempted, no answer recorded) → the
  ``document.signed`` event again: the sender's handler for an attempted document pauses longer than
  its read timeout and asks SIFEN for the CDC before anything else, as on any redelivery.
- lote ``lote.submission_started`` → the same event, same id: the sender claims a submission attempt
  before its SOAP call, so a second delivery can only go to ``lote.outcome_unknown`` and reconcile.
- lote ``lote.submitted`` → ``lote.poll`` (with its protocol) or, refused, ``lote.reconcile``;
  ``lote.outcome_unknown`` → ``lote.reconcile``. Both only query SIFEN and record the answer once
  (inbox claim in the recording transaction); a reconcile resends only what SIFEN does not have.

A stream is re-driven at most ``max_attempts`` times for one waiting state and at most once per
``after_s`` (table ``recovery_attempts``): a message an operator parked is retried a bounded number of
times, then left alone. One sweep runs at a time across replicas (transaction-level advisory lock).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from sifenflow_common.eventstore.ports import RecordedEvent
from sifenflow_common.eventstore.postgres import PgTransaction, PostgresEventStore
from sifenflow_common.messages.commands import PollLote, ReconcileLote
from sifenflow_common.messages.envelope import Envelope, document_stream, lote_stream
from sifenflow_common.messages.events import (
    DocumentBuilt,
    DocumentRequested,
    DocumentSigned,
    DocumentSubmissionStarted,
    LoteOutcomeUnknown,
    LoteSubmissionStarted,
    LoteSubmitted,
)
from sifenflow_common.runtime.logging import get_logger

log = get_logger(__name__)

LOCK_KEY = 0x5EC0_7E12  # advisory lock id of the recovery sweep
SENDER_INBOX = "sender"  # the sender's inbox consumer for document.signed
LOTE_RECONCILE_REASON = "recuperación"
_NAMESPACE = uuid.UUID("6f1d0c52-8f0e-4d7b-9a51-2f3c9e4b7a10")

# Documents waiting for the builder, the signer or the sender, oldest first; those whose stream
# already used its re-drives for this waiting state (or got one lately) are left out here so they
# never crowd out the others.
_DOCUMENTS = """
SELECT d.document_id FROM document_status d
WHERE d.status IN ('requested', 'built', 'signed')
  AND d.updated_at < now() - make_interval(secs => $1)
  AND NOT EXISTS (
      SELECT 1 FROM recovery_attempts r
      WHERE r.stream_name = 'document-' || d.document_id AND r.stream_version = d.stream_version
        AND (r.attempts >= $3 OR r.last_at > now() - make_interval(secs => $1)))
ORDER BY d.updated_at LIMIT $2
"""
# Lotes of documents sent or being sent (one row per lote, up to 50 documents each).
_LOTES = """
SELECT d.lote_id FROM document_status d
WHERE d.status IN ('sending', 'sent', 'send_failed') AND d.lote_id IS NOT NULL
  AND d.updated_at < now() - make_interval(secs => $1)
GROUP BY d.lote_id ORDER BY min(d.updated_at) LIMIT $2
"""
_ATTEMPTS = (
    "SELECT stream_name, stream_version, attempts, last_at > now() - make_interval(secs => $2) AS recent "
)
_ATTEMPTS += "FROM recovery_attempts WHERE stream_name = ANY($1::text[])"
_RECORD = """
INSERT INTO recovery_attempts (stream_name, stream_version, attempts, last_at)
SELECT s, v, 1, now() FROM unnest($1::text[], $2::bigint[]) AS u(s, v)
ON CONFLICT (stream_name) DO UPDATE SET
    attempts = CASE WHEN recovery_attempts.stream_version = EXCLUDED.stream_version
                    THEN recovery_attempts.attempts + 1 ELSE 1 END,
    stream_version = EXCLUDED.stream_version, last_at = now()
"""
_REARM = "UPDATE outbox SET published_at = NULL, available_at = now() WHERE message_id = ANY($1::uuid[])"
_CLAIMED = "SELECT message_id FROM processed_messages WHERE consumer = $1 AND message_id = ANY($2::uuid[])"


@dataclass(frozen=True)
class Redrive:
    stream: str
    stream_version: int
    stage: str  # builder, signer, sender, poll, reconcile
    envelope: Envelope


@dataclass
class SweepResult:
    locked: bool
    redriven: list[Redrive] = field(default_factory=list)
    skipped_attempts: int = 0  # streams left alone: max_attempts reached


class RecoverySweeper:
    def __init__(
        self,
        store: PostgresEventStore,
        *,
        after_s: float = 900.0,
        max_attempts: int = 3,
        batch_size: int = 500,
        producer: str = "store/recovery",
        on_redriven: Callable[[str, int], None] | None = None,
    ) -> None:
        self.store = store
        self.after_s = after_s
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.producer = producer
        self.on_redriven = on_redriven

    async def sweep(self) -> SweepResult:
        """One pass, in one transaction under the advisory lock (skipped if another sweep holds it)."""
        async with self.store.transaction() as tx:
            if not await tx.conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", LOCK_KEY):
                return SweepResult(locked=False)
            result = SweepResult(locked=True)
            now = await tx.conn.fetchval("SELECT now()")
            documents = await tx.conn.fetch(_DOCUMENTS, self.after_s, self.batch_size, self.max_attempts)
            lotes = await tx.conn.fetch(_LOTES, self.after_s, self.batch_size)
            streams = [document_stream(r["document_id"]) for r in documents]
            streams += [lote_stream(r["lote_id"]) for r in lotes]
            histories = await tx.read_streams(streams)
            cutoff = now - timedelta(seconds=self.after_s)
            plans = [p for s in streams if (p := await self._plan(tx, s, histories[s], cutoff)) is not None]
            plans = await self._within_budget(tx, plans, result)
            if plans:
                # a row of the same message still in the outbox (set aside, or published to an
                # in-process queue that stopped) goes out again; the others are queued anew
                await tx.conn.execute(_REARM, [p.envelope.message_id for p in plans])
                await tx.enqueue([p.envelope for p in plans])
                await tx.conn.execute(_RECORD, [p.stream for p in plans], [p.stream_version for p in plans])
            result.redriven = plans
        counts: dict[str, int] = {}
        for plan in plans:
            counts[plan.stage] = counts.get(plan.stage, 0) + 1
            log.warning(
                "recovery re-drove a waiting stream",
                stream=plan.stream, stream_version=plan.stream_version, stage=plan.stage,
                type=plan.envelope.type, message_id=str(plan.envelope.message_id),
            )  # fmt: skip
        if self.on_redriven is not None:
            for stage, count in counts.items():
                self.on_redriven(stage, count)
        return result

    async def _plan(
        self, tx: PgTransaction, stream: str, history: Sequence[RecordedEvent], cutoff: datetime
    ) -> Redrive | None:
        if not history or history[-1].recorded_at >= cutoff:
            return None
        last = history[-1]
        env, version = last.envelope, last.stream_version
        if stream.startswith("lote-"):
            return self._plan_lote(stream, history)
        match env.type:
            case DocumentRequested.TYPE:
                return Redrive(stream, version, "builder", env)
            case DocumentBuilt.TYPE:
                return Redrive(stream, version, "signer", env)
            case DocumentSigned.TYPE:
                claimed = await tx.conn.fetch(_CLAIMED, SENDER_INBOX, [env.message_id])
                return None if claimed else Redrive(stream, version, "sender", env)
            case DocumentSubmissionStarted.TYPE:
                signed = next((r for r in reversed(history) if r.envelope.type == DocumentSigned.TYPE), None)
                return Redrive(stream, version, "sender", signed.envelope) if signed else None
        return None

    def _plan_lote(self, stream: str, history: Sequence[RecordedEvent]) -> Redrive | None:
        first, last = history[0], history[-1]
        if first.envelope.type != LoteSubmissionStarted.TYPE:
            return None
        version = last.stream_version
        if last is first:  # a submission was recorded: its handler claims an attempt before sending
            return Redrive(stream, version, "sender", first.envelope)
        command: PollLote | ReconcileLote
        if last.envelope.type == LoteSubmitted.TYPE:
            submitted = LoteSubmitted.model_validate(last.envelope.payload)
            if submitted.protocol:
                command = PollLote(lote_id=submitted.lote_id, protocol=submitted.protocol, attempt=1)
            else:
                command = ReconcileLote(lote_id=submitted.lote_id, reason=submitted.sifen_code)
        elif last.envelope.type == LoteOutcomeUnknown.TYPE:
            unknown = LoteOutcomeUnknown.model_validate(last.envelope.payload)
            command = ReconcileLote(lote_id=unknown.lote_id, reason=unknown.reason or LOTE_RECONCILE_REASON)
        else:  # lote.polled: closed
            return None
        stage = "poll" if isinstance(command, PollLote) else "reconcile"
        # its message id (one per stream, waiting state and recovery attempt) is set by _within_budget
        return Redrive(stream, version, stage, last.envelope.caused(command, producer=self.producer))

    async def _within_budget(
        self, tx: PgTransaction, plans: list[Redrive], result: SweepResult
    ) -> list[Redrive]:
        if not plans:
            return []
        rows = await tx.conn.fetch(_ATTEMPTS, [p.stream for p in plans], self.after_s)
        seen: dict[str, Any] = {r["stream_name"]: r for r in rows}
        kept: list[Redrive] = []
        for plan in plans:
            row = seen.get(plan.stream)
            attempt = 1
            if row is not None and row["stream_version"] == plan.stream_version:
                if row["recent"]:
                    continue  # re-driven less than after_s ago: give it time
                if row["attempts"] >= self.max_attempts:
                    result.skipped_attempts += 1
                    continue
                attempt = row["attempts"] + 1
            if plan.stage in ("poll", "reconcile"):  # a fresh command per attempt (see the module doc)
                fresh = uuid.uuid5(_NAMESPACE, f"{plan.stream}:{plan.stream_version}:{attempt}")
                plan = Redrive(
                    plan.stream, plan.stream_version, plan.stage,
                    plan.envelope.model_copy(update={"message_id": fresh}),
                )  # fmt: skip
            kept.append(plan)
        return kept

    async def run(self, stop: asyncio.Event, interval_s: float = 300.0) -> None:
        """Sweep every ``interval_s`` until ``stop`` (the first sweep after one interval)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval_s):
                    await stop.wait()
            if stop.is_set():
                return
            try:
                await self.sweep()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("recovery sweep failed; next one at the next interval", error=str(exc))
