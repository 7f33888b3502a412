"""Subscriptions: follow the global order into read models, exactly once.

Each batch is one transaction: lock the checkpoint row, read events after it (only below the
``pg_snapshot_xmin`` horizon, so late commits are never skipped), apply them to the read tables,
move the checkpoint. A crash anywhere rolls back both; a restart continues from the checkpoint.

An event the projection cannot apply (see ``parked.POISON``) does not stop it: the batch is applied
again event by event, each in a savepoint, the failing ones are parked with their error in the same
transaction, and the checkpoint moves past them. ``replay_parked`` applies them after a fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Protocol

import asyncpg

from sifenflow_common.eventstore import parked
from sifenflow_common.eventstore.ports import Position, RecordedEvent
from sifenflow_common.eventstore.postgres import read_all_on
from sifenflow_common.eventstore.rows import EVENT_COLUMNS, recorded_from_row

log = logging.getLogger(__name__)

_ENSURE = "INSERT INTO subscription_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING"
_LOCK = """
SELECT last_transaction_id, last_position FROM subscription_checkpoints WHERE name = $1 FOR UPDATE
"""
_MOVE = """
UPDATE subscription_checkpoints
SET last_transaction_id = $2, last_position = $3, updated_at = now() WHERE name = $1
"""
_HAS_NEW = """
SELECT EXISTS (
    SELECT 1 FROM events e, subscription_checkpoints c
    WHERE c.name = $1 AND ($2::text[] IS NULL OR e.category = ANY($2::text[]))
      AND (e.transaction_id, e.global_position) > (c.last_transaction_id, c.last_position)
      AND e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
)
"""
_LAG = """
SELECT count(*) FROM (
    SELECT 1 FROM events e, subscription_checkpoints c
    WHERE c.name = $1 AND (e.transaction_id, e.global_position) > (c.last_transaction_id, c.last_position)
    LIMIT 1000000
) behind
"""

_READ_POSITIONS = f"""
SELECT {EVENT_COLUMNS} FROM events WHERE global_position = ANY($1::bigint[])
ORDER BY transaction_id, global_position
"""


class Projection(Protocol):
    """A read model fed by events. ``apply`` runs inside the batch transaction on ``conn``."""

    name: str
    categories: Sequence[str] | None  # None: every category
    tables: Sequence[str]  # emptied by a rebuild

    async def apply(self, conn: asyncpg.Connection, event: RecordedEvent) -> None: ...

    # Optional: ``async def apply_batch(conn, events)`` applies a whole batch at once, in order;
    # the subscription uses it when present (fewer round trips for busy read models).


class Subscription:
    def __init__(
        self,
        pool: asyncpg.Pool,
        projection: Projection,
        *,
        batch_size: int = 500,
        poll_interval: float = 0.05,
        on_parked: Callable[[str, int], None] | None = None,
    ) -> None:
        self.pool = pool
        self.projection = projection
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.on_parked = on_parked  # (projection name, events parked by one pass), e.g. a metric

    async def catch_up_once(self) -> int:
        """Apply one batch; returns how many events it applied."""
        name = self.projection.name
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(_ENSURE, name)
            row = await conn.fetchrow(_LOCK, name)
            after = Position(row["last_transaction_id"], row["last_position"])
            events = await read_all_on(conn, after, self.batch_size, self.projection.categories)
            set_aside = await self._apply(conn, events)
            if events:
                last = events[-1].position
                await conn.execute(_MOVE, name, last.transaction_id, last.global_position)
        if set_aside and self.on_parked is not None:
            self.on_parked(name, set_aside)
        return len(events)

    async def _apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> int:
        """Apply ``events`` in order; returns how many had to be parked."""
        apply_batch = getattr(self.projection, "apply_batch", None)
        try:
            async with conn.transaction():
                if apply_batch is not None:
                    await apply_batch(conn, events)
                else:
                    for event in events:
                        await self.projection.apply(conn, event)
            return 0
        except parked.POISON:
            pass  # find the event(s) at fault: one savepoint each
        set_aside = 0
        for event in events:
            try:
                async with conn.transaction():
                    await self.projection.apply(conn, event)
            except parked.POISON as exc:
                error = parked.describe(exc)
                await parked.park(conn, self.projection.name, event, error)
                set_aside += 1
                log.error(
                    "subscription %s parked event %s (%s at position %s): %s",
                    self.projection.name, event.envelope.message_id, event.envelope.type,
                    event.position.global_position, error,
                )  # fmt: skip
        return set_aside

    async def replay_parked(self) -> tuple[int, int]:
        """Apply the parked events again, in their global order; returns (applied, still failing).

        Runs under the checkpoint lock, so it never interleaves with a pass of the subscription. The
        documents projection ignores an event older than the row it would change (stream versions),
        so a late replay never moves a document back."""
        name = self.projection.name
        applied = failing = 0
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(_ENSURE, name)
            await conn.fetchrow(_LOCK, name)
            pending = await parked.list_parked(conn, name)
            rows = await conn.fetch(_READ_POSITIONS, [p.position.global_position for p in pending])
            for event in (recorded_from_row(r) for r in rows):
                try:
                    async with conn.transaction():
                        await self.projection.apply(conn, event)
                except parked.POISON as exc:
                    await parked.park(conn, name, event, parked.describe(exc))
                    failing += 1
                else:
                    await parked.mark_replayed(conn, name, event.position)
                    applied += 1
        return applied, failing

    async def catch_up(self) -> int:
        """Apply batches until nothing below the horizon is left; returns the total."""
        total = 0
        while (n := await self.catch_up_once()) > 0:
            total += n
        return total

    async def has_new(self) -> bool:
        """Read-only check for events past the checkpoint (idle polls take no locks, no xid)."""
        categories = list(self.projection.categories) if self.projection.categories else None
        return bool(await self.pool.fetchval(_HAS_NEW, self.projection.name, categories))

    async def lag(self) -> int:
        """Events stored after the checkpoint (including those not yet below the horizon)."""
        async with self.pool.acquire() as conn:
            await conn.execute(_ENSURE, self.projection.name)
            return int(await conn.fetchval(_LAG, self.projection.name))

    async def run(self, stop: asyncio.Event) -> None:
        """Follow until ``stop`` is set: back to back while behind, every ``poll_interval`` when idle."""
        idle = False  # the first pass creates the checkpoint row that has_new() reads
        while not stop.is_set():
            try:
                applied = await self.catch_up_once() if not idle or await self.has_new() else 0
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("subscription %s pass failed: %r", self.projection.name, exc)
                applied = 0
            idle = applied == 0
            if applied >= self.batch_size:
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await stop.wait()


async def rebuild(pool: asyncpg.Pool, projection: Projection, *, batch_size: int = 500) -> int:
    """Empty the projection's tables, forget its checkpoint and replay every event; returns the count.

    Stop the running subscription of this projection first (its next batch would block on the
    checkpoint lock meanwhile and then continue from the rebuilt checkpoint)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_ENSURE, projection.name)
        await conn.fetchrow(_LOCK, projection.name)
        for table in projection.tables:
            await conn.execute(f'TRUNCATE "{table}"')
        await parked.forget(conn, projection.name)  # a still failing event is parked again
        await conn.execute(_MOVE, projection.name, 0, 0)
    return await Subscription(pool, projection, batch_size=batch_size).catch_up()
