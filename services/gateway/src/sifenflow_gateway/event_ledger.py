"""What the events API reads and writes in the event store: a document's approval time and the
events already registered for it, new ``sifen_event.requested`` appends (outbox included), and the
wait for the pipeline's answer (``event.accepted`` / ``event.rejected`` on the same stream)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from sifenflow_common.bus.topology import Topology
from sifenflow_common.eventstore.ports import ConcurrencyError, DuplicateMessage
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.messages.lifecycle import BulkCompleted, SifenEventRequested

OUTCOMES = ("event.accepted", "event.rejected")


@dataclass(frozen=True, slots=True)
class DocumentHistory:
    approved_at: datetime | None = None
    registered: frozenset[str] = field(default_factory=frozenset)  # kinds SIFEN accepted
    in_flight: frozenset[str] = field(default_factory=frozenset)  # kinds requested, no answer yet


def _json(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, str) else value)


TIMELINE_MAX_CHARS = 200


def _short_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in data.items()
        if isinstance(value, bool | int | float)
        or (isinstance(value, str) and len(value) <= TIMELINE_MAX_CHARS)
    }


class EventLedger:
    def __init__(self, pool: asyncpg.Pool, topology: Topology, producer: str) -> None:
        self.pool = pool
        self.store = PostgresEventStore(pool, topology)
        self.producer = producer

    async def next_sifen_id(self) -> int:
        return int(await self.pool.fetchval("SELECT nextval('sifen_event_ids')"))

    async def history(self, tenant_id: uuid.UUID, stream: str) -> DocumentHistory:
        rows = await self.pool.fetch(
            "SELECT type, data, recorded_at FROM events WHERE stream_name = $1 AND tenant_id = $2 "
            "AND type IN ('document.approved', 'sifen_event.requested', 'event.accepted', 'event.rejected') "
            "ORDER BY stream_version",
            stream,
            tenant_id,
        )
        return _fold(rows)

    async def timeline(self, tenant_id: uuid.UUID, stream: str) -> list[dict[str, Any]]:
        """Every event of one stream of this tenant, oldest first: type, time, version and its short
        scalar fields (codes, messages, states); long values such as XML are left out."""
        rows = await self.pool.fetch(
            "SELECT type, data, recorded_at, stream_version FROM events "
            "WHERE stream_name = $1 AND tenant_id = $2 ORDER BY stream_version",
            stream,
            tenant_id,
        )
        return [
            {
                "tipo": row["type"],
                "version": row["stream_version"],
                "fecha": row["recorded_at"],
                "detalle": _short_fields(_json(row["data"])),
            }
            for row in rows
        ]

    async def receptor_history(self, tenant_id: uuid.UUID, cdc: str) -> DocumentHistory:
        """Receptor events this tenant sent for a CDC (each on its own ``event-<id>`` stream)."""
        rows = await self.pool.fetch(
            "SELECT type, data, recorded_at FROM events WHERE tenant_id = $1 AND data ->> 'cdc' = $2 "
            "AND type IN ('sifen_event.requested', 'event.accepted', 'event.rejected') "
            "ORDER BY global_position",
            tenant_id,
            cdc,
        )
        return _fold(rows)

    async def request(
        self, tenant_id: uuid.UUID, stream: str, event: SifenEventRequested, correlation_id: uuid.UUID | None
    ) -> None:
        envelope = Envelope.wrap(
            event, tenant_id=tenant_id, producer=self.producer, correlation_id=correlation_id
        )
        for _ in range(5):
            try:
                async with self.store.transaction() as tx:
                    version = await tx.stream_version(stream)
                    await tx.append(stream, version, [envelope])
                return
            except ConcurrencyError:
                continue
        raise ConcurrencyError(stream, -1)

    async def bulk_completed(
        self, tenant_id: uuid.UUID, batch_id: uuid.UUID, total: int, accepted: int, failed: int
    ) -> None:
        """``bulk.completed`` on stream ``bulk-<id>``, once per batch (message id from the batch, so a
        batch resumed after a restart does not announce twice)."""
        event = BulkCompleted(batch_id=batch_id, total=total, accepted=accepted, failed=failed)
        message_id = uuid.uuid5(batch_id, "bulk.completed")
        envelope = Envelope.wrap(event, tenant_id=tenant_id, producer=self.producer, message_id=message_id)
        stream = f"bulk-{batch_id}"
        try:
            async with self.store.transaction() as tx:
                await tx.append(stream, await tx.stream_version(stream), [envelope])
        except (DuplicateMessage, ConcurrencyError):
            return

    async def wait_outcome(
        self, stream: str, event_id: uuid.UUID, wait_s: float
    ) -> tuple[str, dict[str, Any]] | None:
        deadline = time.monotonic() + wait_s
        while True:
            row = await self.pool.fetchrow(
                "SELECT type, data FROM events WHERE stream_name = $1 AND type = ANY($2::text[]) "
                "AND data ->> 'event_id' = $3 ORDER BY stream_version LIMIT 1",
                stream,
                list(OUTCOMES),
                str(event_id),
            )
            if row is not None:
                return str(row["type"]), _json(row["data"])
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(0.05)

    async def voided_ranges(self, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT data FROM events WHERE tenant_id = $1 AND type = 'range.voided' ORDER BY global_position",
            tenant_id,
        )
        return [_json(r["data"]) for r in rows]


def _fold(rows: list[asyncpg.Record]) -> DocumentHistory:
    approved_at: datetime | None = None
    requested: dict[str, str] = {}
    answered: set[str] = set()
    registered: set[str] = set()
    for row in rows:
        data = _json(row["data"])
        if row["type"] == "document.approved":
            given = data.get("approved_at")
            approved_at = datetime.fromisoformat(given) if given else row["recorded_at"]
        elif row["type"] == "sifen_event.requested":
            requested[str(data["event_id"])] = str(data["kind"])
        else:
            answered.add(str(data["event_id"]))
            if row["type"] == "event.accepted":
                registered.add(str(data["kind"]))
    in_flight = {kind for eid, kind in requested.items() if eid not in answered}
    return DocumentHistory(approved_at, frozenset(registered), frozenset(in_flight))
