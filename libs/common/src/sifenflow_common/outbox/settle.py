"""Outbox rows as the durable queue of the in-process bus.

RabbitMQ keeps a message in a durable queue until every consumer acked it; the in-process bus keeps
its queues in memory. With it, the relay marks a row published instead of deleting it, the bus tells
``OutboxSettler.settled`` once every queue bound to the message finished its delivery (the row is
then deleted), and a process that starts puts the rows published but never settled back for the
relay (``requeue_unsettled``). A stop or a crash so loses nothing that was committed; consumers'
inboxes drop the deliveries they had already handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import asyncpg

log = logging.getLogger(__name__)

_DELETE = "DELETE FROM outbox WHERE message_id = ANY($1::uuid[]) AND published_at IS NOT NULL"
_REQUEUE = (
    "UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL AND available_at <> 'infinity'"
)


class OutboxSettler:
    def __init__(self, pool: asyncpg.Pool, flush_interval: float = 0.05) -> None:
        self.pool = pool
        self.flush_interval = flush_interval
        self._pending: set[uuid.UUID] = set()
        self._flusher: asyncio.Task[None] | None = None

    def settled(self, message_id: uuid.UUID) -> None:
        """Every consumer finished with ``message_id``: its row goes (deleted in batches)."""
        self._pending.add(message_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later(), name="outbox-settle")

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.flush_interval)
        await self.flush()

    async def flush(self) -> None:
        ids, self._pending = list(self._pending), set()
        if not ids:
            return
        try:
            await self.pool.execute(_DELETE, ids)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # kept for the next flush; at worst a restart delivers them again (inboxes dedupe)
            self._pending.update(ids)
            log.warning("outbox settle failed for %d rows: %r", len(ids), exc)

    async def requeue_unsettled(self) -> int:
        """At start: rows a stopped process published to its in-memory queues and never settled
        are published again. Returns how many."""
        result = await self.pool.execute(_REQUEUE)
        count = int(result.split()[-1])
        if count:
            log.info("outbox rows published again after a stop: %d", count)
        return count

    async def close(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        await self.flush()
