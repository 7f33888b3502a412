"""In-memory event store with the same contract as Postgres, for unit tests and fakes.

A transaction stages its changes and checks them again at commit, so two concurrent transactions
at the same expected version end like on Postgres: one commits, the other gets ConcurrencyError.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import UUID

from sifenflow_common.eventstore.commit import commit_one
from sifenflow_common.eventstore.ports import (
    START,
    AppendRequest,
    CommitResult,
    ConcurrencyError,
    DuplicateMessage,
    PendingCommit,
    Position,
    RecordedEvent,
)
from sifenflow_common.messages.envelope import Envelope, stream_category


class MemoryTransaction:
    def __init__(self, store: InMemoryEventStore) -> None:
        self._store = store
        self._appends: list[tuple[str, int, list[Envelope]]] = []
        self._claims: set[tuple[str, UUID]] = set()
        self._outbox: list[Envelope] = []

    async def claim(self, consumer: str, message_id: UUID) -> bool:
        key = (consumer, message_id)
        if key in self._store.inbox or key in self._claims:
            return False
        self._claims.add(key)
        return True

    async def claim_many(self, consumer: str, message_ids: Sequence[UUID]) -> set[UUID]:
        return {m for m in message_ids if await self.claim(consumer, m)}

    def _staged_version(self, stream: str) -> int:
        version = self._store.version_of(stream)
        for s, expected, events in self._appends:
            if s == stream:
                version = max(version, expected + len(events))
        return version

    async def append(
        self, stream: str, expected_version: int, events: Sequence[Envelope], *, publish: bool = True
    ) -> list[Envelope]:
        if expected_version < 0:
            raise ValueError("expected_version must be >= 0")
        if not events:
            return []
        if self._staged_version(stream) != expected_version:
            raise ConcurrencyError(stream, expected_version)
        staged_ids = {e.message_id for _, _, evs in self._appends for e in evs}
        ids = [e.message_id for e in events]
        if len(set(ids)) != len(ids) or any(i in self._store.message_ids or i in staged_ids for i in ids):
            raise DuplicateMessage(stream, ids)
        stored = [e.at(stream, expected_version + i) for i, e in enumerate(events, start=1)]
        self._appends.append((stream, expected_version, stored))
        if publish:
            await self.enqueue(stored)
        return stored

    async def enqueue(self, messages: Sequence[Envelope]) -> None:
        self._outbox.extend(messages)

    async def stream_version(self, stream: str) -> int:
        return self._staged_version(stream)

    async def read_stream(self, stream: str, from_version: int = 1) -> list[RecordedEvent]:
        return await self._store.read_stream(stream, from_version)

    async def read_streams(self, streams: Sequence[str]) -> dict[str, list[RecordedEvent]]:
        return {s: await self._store.read_stream(s) for s in streams}

    async def append_many(self, appends: Sequence[AppendRequest]) -> list[Envelope]:
        staged = len(self._appends), len(self._outbox)
        stored: list[Envelope] = []
        try:
            for a in appends:
                stored += await self.append(a.stream, a.expected_version, a.events)
        except Exception:  # all or nothing, like the one statement of the Postgres store
            del self._appends[staged[0] :], self._outbox[staged[1] :]
            raise
        return stored

    def commit(self) -> None:
        """Validate against what others committed meanwhile, then apply all at once (no await)."""
        store = self._store
        for stream, expected, events in self._appends:
            if store.version_of(stream) != expected:
                if expected + len(events) <= store.version_of(stream) and all(
                    e.message_id in store.message_ids for e in events
                ):
                    raise DuplicateMessage(stream, [e.message_id for e in events])
                raise ConcurrencyError(stream, expected)
            if any(e.message_id in store.message_ids for e in events):
                raise DuplicateMessage(stream, [e.message_id for e in events])
        if self._claims & store.inbox:
            raise DuplicateMessage("inbox")
        store.commit_seq += 1
        now = datetime.now(UTC)
        for stream, _, events in self._appends:
            for env in events:
                store.position += 1
                rec = RecordedEvent(Position(store.commit_seq, store.position), env, now)
                store.streams.setdefault(stream, []).append(rec)
                store.all.append(rec)
                store.message_ids.add(env.message_id)
        store.inbox |= self._claims
        known = {e.message_id for e in store.outbox} | store.published_ids
        store.outbox.extend(e for e in self._outbox if e.message_id not in known)


class InMemoryEventStore:
    def __init__(self) -> None:
        self.streams: dict[str, list[RecordedEvent]] = {}
        self.all: list[RecordedEvent] = []
        self.message_ids: set[UUID] = set()
        self.inbox: set[tuple[str, UUID]] = set()
        self.outbox: list[Envelope] = []  # committed, not yet published
        self.published_ids: set[UUID] = set()
        self.commit_seq = 0
        self.position = 0

    def version_of(self, stream: str) -> int:
        events = self.streams.get(stream)
        return events[-1].stream_version if events else 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[MemoryTransaction]:
        tx = MemoryTransaction(self)
        yield tx
        tx.commit()

    async def processed(self, consumer: str, message_id: UUID) -> bool:
        return (consumer, message_id) in self.inbox

    async def commit_batch(self, consumer: str, items: Sequence[PendingCommit]) -> list[CommitResult]:
        return [await commit_one(self, consumer, item) for item in items]

    async def append(
        self, stream: str, expected_version: int, events: Sequence[Envelope], *, publish: bool = True
    ) -> list[Envelope]:
        async with self.transaction() as tx:
            return await tx.append(stream, expected_version, events, publish=publish)

    async def read_stream(self, stream: str, from_version: int = 1) -> list[RecordedEvent]:
        return [r for r in self.streams.get(stream, []) if r.stream_version >= from_version]

    async def stream_version(self, stream: str) -> int:
        return self.version_of(stream)

    async def read_all(
        self, after: Position = START, limit: int = 500, categories: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        out: list[RecordedEvent] = []
        for rec in self.all:
            if tuple(rec.position) <= tuple(after):
                continue
            if categories and stream_category(rec.stream) not in categories:
                continue
            out.append(rec)
            if len(out) >= limit:
                break
        return out

    def take_outbox(self) -> list[Envelope]:
        """Committed outbox messages not yet taken (what a relay would publish next)."""
        taken, self.outbox = self.outbox, []
        self.published_ids.update(e.message_id for e in taken)
        return taken
