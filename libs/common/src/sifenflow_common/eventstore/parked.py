"""Events a projection could not apply: set aside with their error so the projection goes on past
them, listed for an operator, and applied again after a fix (``Subscription.replay_parked``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from sifenflow_common.eventstore.ports import Position, RecordedEvent

# What an event itself can cause while being applied: a constraint it breaks, a value PostgreSQL
# refuses, a payload the projection cannot read. Anything else (connection lost, server shutting
# down, deadlock) fails the whole pass, which is retried from the same checkpoint.
POISON: tuple[type[BaseException], ...] = (
    asyncpg.IntegrityConstraintViolationError,
    asyncpg.DataError,
    LookupError,
    ValueError,
    TypeError,
)
MAX_ERROR_CHARS = 2000

_PARK = """
INSERT INTO projection_parked_events AS p
    (subscription, global_position, transaction_id, message_id, event_type, tenant_id, error)
VALUES ($1, $2, $3::xid8, $4, $5, $6, $7)
ON CONFLICT (subscription, global_position) DO UPDATE
SET error = excluded.error, attempts = p.attempts + 1, parked_at = now(), replayed_at = NULL
"""
_LIST = """
SELECT subscription, global_position, transaction_id, message_id,
       event_type, tenant_id, error, attempts, parked_at, replayed_at
FROM projection_parked_events
WHERE ($1::text IS NULL OR subscription = $1) AND ($2 OR replayed_at IS NULL)
ORDER BY subscription, transaction_id, global_position
"""
_MARK_REPLAYED = """
UPDATE projection_parked_events SET replayed_at = now()
WHERE subscription = $1 AND global_position = $2
"""
_FORGET = "DELETE FROM projection_parked_events WHERE subscription = $1"


@dataclass(frozen=True, slots=True)
class ParkedEvent:
    subscription: str
    position: Position
    message_id: UUID
    event_type: str
    tenant_id: UUID
    error: str
    attempts: int
    parked_at: datetime
    replayed_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "subscription": self.subscription,
            "globalPosition": self.position.global_position,
            "transactionId": self.position.transaction_id,
            "messageId": str(self.message_id),
            "type": self.event_type,
            "tenantId": str(self.tenant_id),
            "error": self.error,
            "attempts": self.attempts,
            "parkedAt": self.parked_at.isoformat(),
            "replayedAt": self.replayed_at.isoformat() if self.replayed_at else None,
        }


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]


async def park(conn: asyncpg.Connection, subscription: str, event: RecordedEvent, error: str) -> None:
    env = event.envelope
    await conn.execute(
        _PARK,
        subscription,
        event.position.global_position,
        event.position.transaction_id,
        env.message_id,
        env.type,
        env.tenant_id,
        error,
    )


async def mark_replayed(conn: asyncpg.Connection, subscription: str, position: Position) -> None:
    await conn.execute(_MARK_REPLAYED, subscription, position.global_position)


async def forget(conn: asyncpg.Connection, subscription: str) -> None:
    await conn.execute(_FORGET, subscription)


async def list_parked(
    db: asyncpg.Pool | asyncpg.Connection, subscription: str | None = None, *, include_replayed: bool = False
) -> list[ParkedEvent]:
    rows = await db.fetch(_LIST, subscription, include_replayed)
    return [
        ParkedEvent(
            subscription=r["subscription"],
            position=Position(r["transaction_id"], r["global_position"]),
            message_id=r["message_id"],
            event_type=r["event_type"],
            tenant_id=r["tenant_id"],
            error=r["error"],
            attempts=r["attempts"],
            parked_at=r["parked_at"],
            replayed_at=r["replayed_at"],
        )
        for r in rows
    ]
