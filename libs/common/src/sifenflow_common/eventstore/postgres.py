"""Event store on Postgres (asyncpg). Schema: db/migrations/0001_events.sql."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
from pydantic_core import to_json

from sifenflow_common.bus.topology import Topology
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
from sifenflow_common.eventstore.rows import EVENT_COLUMNS, metadata_of, recorded_from_row
from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.outbox import inbox, writer

# Events and their outbox rows in one statement (one round trip). The version check makes the
# events insert empty when the stream moved; the outbox insert then inserts nothing either.
_APPEND = """
WITH appended AS (
    INSERT INTO events
        (stream_name, stream_version, message_id, type, schema_version, tenant_id, data, metadata)
    SELECT $1, $2::bigint + v.ord, v.message_id, v.type, v.schema_version, v.tenant_id, v.data, v.metadata
    FROM unnest($3::uuid[], $4::text[], $5::smallint[], $6::uuid[], $7::jsonb[], $8::jsonb[])
         WITH ORDINALITY AS v(message_id, type, schema_version, tenant_id, data, metadata, ord)
    WHERE (SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_name = $1) = $2
    RETURNING 1
), queued AS (
    INSERT INTO outbox (message_id, exchange, routing_key, headers, body)
    SELECT * FROM unnest($9::uuid[], $10::text[], $11::text[], $12::jsonb[], $13::bytea[])
    WHERE (SELECT count(*) FROM appended) = cardinality($3::uuid[])
    ON CONFLICT (message_id) DO NOTHING
)
SELECT count(*) FROM appended
"""
_VERSION = "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_name = $1"
_READ_STREAM = f"""
SELECT {EVENT_COLUMNS} FROM events
WHERE stream_name = $1 AND stream_version >= $2 ORDER BY stream_version
"""
_READ_STREAMS = f"""
SELECT {EVENT_COLUMNS} FROM events WHERE stream_name = ANY($1::text[]) ORDER BY stream_name, stream_version
"""
# Only rows of transactions older than every running one: nothing can commit behind them later.
_READ_ALL = f"""
SELECT {EVENT_COLUMNS} FROM events
WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY transaction_id, global_position LIMIT $3
"""
_READ_ALL_CATEGORIES = f"""
SELECT {EVENT_COLUMNS} FROM events
WHERE category = ANY($4::text[])
  AND (transaction_id, global_position) > ($1::xid8, $2::bigint)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY transaction_id, global_position LIMIT $3
"""
_VERSION_CONSTRAINT = "events_stream_name_stream_version_key"
_CLAIM_MANY = """
INSERT INTO processed_messages (consumer, message_id)
SELECT $1, m FROM unnest($2::uuid[]) AS m
ON CONFLICT DO NOTHING RETURNING message_id
"""
# Many streams at once: every row checks its own stream's version against the statement snapshot.
_APPEND_MANY = """
INSERT INTO events (stream_name, stream_version, message_id, type, schema_version, tenant_id, data, metadata)
SELECT v.stream, v.version, v.message_id, v.type, v.schema_version, v.tenant_id, v.data, v.metadata
FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::uuid[], $5::text[], $6::smallint[], $7::uuid[],
            $8::jsonb[], $9::jsonb[])
     WITH ORDINALITY
     AS v(stream, expected, version, message_id, type, schema_version, tenant_id, data, metadata, ord)
WHERE (SELECT coalesce(max(e.stream_version), 0) FROM events e WHERE e.stream_name = v.stream) = v.expected
ORDER BY v.ord
RETURNING 1
"""


class _BatchConflictError(Exception):
    pass


def _append_columns(appends: Sequence[AppendRequest]) -> tuple[tuple[list[Any], ...], list[Envelope]]:
    """The ``_APPEND_MANY`` parameters for ``appends``, and the envelopes as they will be stored."""
    cols: tuple[list[Any], ...] = ([], [], [], [], [], [], [], [], [])
    stored_all: list[Envelope] = []
    for append in appends:
        for n, event in enumerate(append.events, start=1):
            stored = event.at(append.stream, append.expected_version + n)
            stored_all.append(stored)
            values = (
                append.stream,
                append.expected_version,
                append.expected_version + n,
                stored.message_id,
                stored.type,
                stored.schema_version,
                stored.tenant_id,
                to_json(stored.payload).decode(),
                metadata_of(stored),
            )
            for col, value in zip(cols, values, strict=True):
                col.append(value)
    return cols, stored_all


async def append_on(
    conn: asyncpg.Connection,
    stream: str,
    expected_version: int,
    events: Sequence[Envelope],
    *,
    topology: Topology | None = None,
    savepoint: bool = True,
) -> list[Envelope]:
    """Insert ``events`` at ``expected_version + 1..`` on ``conn``, and their outbox rows when a
    ``topology`` is given. ``savepoint`` keeps the caller's transaction usable after a conflict;
    without an open transaction the statement commits on its own."""
    if expected_version < 0:
        raise ValueError("expected_version must be >= 0")
    if not events:
        return []
    stored = [e.at(stream, expected_version + i) for i, e in enumerate(events, start=1)]
    outbox = writer.columns(stored, topology) if topology is not None else ([], [], [], [], [])
    args = (
        stream,
        expected_version,
        [e.message_id for e in stored],
        [e.type for e in stored],
        [e.schema_version for e in stored],
        [e.tenant_id for e in stored],
        [to_json(e.payload).decode() for e in stored],
        [metadata_of(e) for e in stored],
        *outbox,
    )
    try:
        if savepoint:
            async with conn.transaction():
                appended = await conn.fetchval(_APPEND, *args)
        else:
            appended = await conn.fetchval(_APPEND, *args)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == _VERSION_CONSTRAINT:
            raise ConcurrencyError(stream, expected_version) from exc
        raise DuplicateMessage(stream, [e.message_id for e in stored]) from exc
    if appended != len(stored):
        raise ConcurrencyError(stream, expected_version)
    return stored


class PgTransaction:
    def __init__(self, conn: asyncpg.Connection, topology: Topology) -> None:
        self.conn = conn
        self._topology = topology

    async def claim(self, consumer: str, message_id: UUID) -> bool:
        return await inbox.claim(self.conn, consumer, message_id)

    async def claim_many(self, consumer: str, message_ids: Sequence[UUID]) -> set[UUID]:
        rows = await self.conn.fetch(_CLAIM_MANY, consumer, list(message_ids))
        return {r["message_id"] for r in rows}

    async def append(
        self, stream: str, expected_version: int, events: Sequence[Envelope], *, publish: bool = True
    ) -> list[Envelope]:
        return await append_on(
            self.conn, stream, expected_version, events, topology=self._topology if publish else None
        )

    async def enqueue(self, messages: Sequence[Envelope]) -> None:
        await writer.add(self.conn, messages, self._topology)

    async def stream_version(self, stream: str) -> int:
        return int(await self.conn.fetchval(_VERSION, stream))

    async def read_stream(self, stream: str, from_version: int = 1) -> list[RecordedEvent]:
        return [recorded_from_row(r) for r in await self.conn.fetch(_READ_STREAM, stream, from_version)]

    async def read_streams(self, streams: Sequence[str]) -> dict[str, list[RecordedEvent]]:
        histories: dict[str, list[RecordedEvent]] = {s: [] for s in streams}
        for row in await self.conn.fetch(_READ_STREAMS, list(histories)):
            histories[row["stream_name"]].append(recorded_from_row(row))
        return histories

    async def append_many(self, appends: Sequence[AppendRequest]) -> list[Envelope]:
        if any(a.expected_version < 0 for a in appends):
            raise ValueError("expected_version must be >= 0")
        cols, stored = _append_columns([a for a in appends if a.events])
        if not stored:
            return []
        streams = ", ".join(sorted({a.stream for a in appends}))
        try:
            async with self.conn.transaction():  # a savepoint: the caller's transaction stays usable
                inserted = await self.conn.fetch(_APPEND_MANY, *cols)
                if len(inserted) != len(stored):
                    raise ConcurrencyError(streams, -1)
                await writer.add(self.conn, stored, self._topology)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == _VERSION_CONSTRAINT:  # a concurrent append won the race
                raise ConcurrencyError(streams, -1) from exc
            raise DuplicateMessage(streams, [e.message_id for e in stored]) from exc
        return stored


class PostgresEventStore:
    def __init__(self, pool: asyncpg.Pool, topology: Topology | None = None) -> None:
        self.pool = pool
        self.topology = topology or Topology()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgTransaction]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield PgTransaction(conn, self.topology)

    @asynccontextmanager
    async def on(self, conn: asyncpg.Connection) -> AsyncIterator[PgTransaction]:
        """A store transaction on the caller's connection (nested as a savepoint if one is open),
        so other SQL (numbering, tenants) commits atomically with the events."""
        async with conn.transaction():
            yield PgTransaction(conn, self.topology)

    async def processed(self, consumer: str, message_id: UUID) -> bool:
        return await inbox.processed(self.pool, consumer, message_id)

    async def append(
        self, stream: str, expected_version: int, events: Sequence[Envelope], *, publish: bool = True
    ) -> list[Envelope]:
        """One statement, committed on its own: events and outbox rows together or nothing."""
        async with self.pool.acquire() as conn:
            return await append_on(
                conn,
                stream,
                expected_version,
                events,
                topology=self.topology if publish else None,
                savepoint=False,
            )

    async def commit_batch(self, consumer: str, items: Sequence[PendingCommit]) -> list[CommitResult]:
        """Group commit: all items in one transaction with three statements (claims, events, outbox).
        Any conflict in the batch rolls it back and commits the items one by one instead, so each
        gets its own result."""
        if len(items) == 1:
            return [await commit_one(self, consumer, items[0])]
        try:
            return await self._commit_together(consumer, items)
        except (_BatchConflictError, asyncpg.UniqueViolationError):
            return [await commit_one(self, consumer, item) for item in items]

    async def _commit_together(self, consumer: str, items: Sequence[PendingCommit]) -> list[CommitResult]:
        async with self.pool.acquire() as conn, conn.transaction():
            claimed = {r[0] for r in await conn.fetch(_CLAIM_MANY, consumer, [i.message_id for i in items])}
            mine = [i for i in items if i.message_id in claimed]
            cols, outgoing = _append_columns([a for item in mine for a in item.appends])
            outgoing.extend(m for item in mine for m in item.messages)
            if cols[0]:
                inserted = await conn.fetch(_APPEND_MANY, *cols)
                if len(inserted) != len(cols[0]):
                    raise _BatchConflictError
            await writer.add(conn, outgoing, self.topology)
        return [i.message_id in claimed for i in items]

    async def read_stream(self, stream: str, from_version: int = 1) -> list[RecordedEvent]:
        rows = await self.pool.fetch(_READ_STREAM, stream, from_version)
        return [recorded_from_row(r) for r in rows]

    async def stream_version(self, stream: str) -> int:
        return int(await self.pool.fetchval(_VERSION, stream))

    async def read_all(
        self, after: Position = START, limit: int = 500, categories: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        async with self.pool.acquire() as conn:
            return await read_all_on(conn, after, limit, categories)


async def read_all_on(
    conn: asyncpg.Connection, after: Position, limit: int, categories: Sequence[str] | None = None
) -> list[RecordedEvent]:
    if categories:
        rows = await conn.fetch(_READ_ALL_CATEGORIES, after[0], after[1], limit, list(categories))
    else:
        rows = await conn.fetch(_READ_ALL, after[0], after[1], limit)
    return [recorded_from_row(r) for r in rows]
