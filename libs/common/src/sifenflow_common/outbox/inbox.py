"""Inbox: remember which messages a consumer already applied (dedupe by message_id)."""

from __future__ import annotations

from uuid import UUID

import asyncpg

_CLAIM = """
INSERT INTO processed_messages (consumer, message_id) VALUES ($1, $2)
ON CONFLICT DO NOTHING RETURNING 1
"""


async def claim(conn: asyncpg.Connection, consumer: str, message_id: UUID) -> bool:
    """True the first time; False when ``consumer`` already processed ``message_id``. Run it in the
    transaction that applies the message, so the claim and the effect commit together."""
    return await conn.fetchval(_CLAIM, consumer, message_id) is not None


async def processed(db: asyncpg.Pool | asyncpg.Connection, consumer: str, message_id: UUID) -> bool:
    found = await db.fetchval(
        "SELECT 1 FROM processed_messages WHERE consumer = $1 AND message_id = $2", consumer, message_id
    )
    return found is not None


async def purge(conn: asyncpg.Connection, older_than_days: int = 7) -> int:
    result = await conn.execute(
        "DELETE FROM processed_messages WHERE processed_at < now() - make_interval(days => $1)",
        older_than_days,
    )
    return int(result.split()[-1])
