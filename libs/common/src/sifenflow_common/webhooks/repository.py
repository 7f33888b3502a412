"""Webhook subscriptions and the delivery queue on PostgreSQL (asyncpg).

The queue is claimed with a lease: a short UPDATE sets ``locked_until`` on the oldest pending
delivery of each (subscription, ordering key) that is due, so deliveries of one document go out
in order and one at a time, and no transaction stays open during the HTTP call.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from sifenflow_common.crypto import SecretBox
from sifenflow_common.webhooks.model import (
    AttemptResult,
    ClaimedDelivery,
    DeliveryRecord,
    NewDelivery,
    Subscription,
)
from sifenflow_common.webhooks.signature import new_secret

_SUB_COLUMNS = "id, tenant_id, url, event_types, description, active, created_at"
_DELIVERY_COLUMNS = (
    "id, subscription_id, event_type, status, attempts, last_status_code, last_error, "
    "next_attempt_at, last_attempt_at, delivered_at, created_at, body"
)

_CLAIM = """
WITH due AS (
    SELECT d.id FROM webhook_deliveries d
    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
      AND (d.locked_until IS NULL OR d.locked_until < now())
      AND NOT EXISTS (
          SELECT 1 FROM webhook_deliveries e
          WHERE e.status = 'pending' AND e.subscription_id = d.subscription_id
            AND e.ordering_key = d.ordering_key AND (e.position, e.seq) < (d.position, d.seq))
    ORDER BY d.next_attempt_at
    LIMIT $1
    FOR UPDATE OF d SKIP LOCKED
), claimed AS (
    UPDATE webhook_deliveries d
    SET locked_until = now() + make_interval(secs => $2), attempts = d.attempts + 1,
        last_attempt_at = now()
    FROM due
    WHERE d.id = due.id
    RETURNING d.id, d.subscription_id, d.tenant_id, d.body, d.attempts, d.created_at, d.expires_at
)
SELECT c.*, s.url, s.secret_sealed, s.active
FROM claimed c JOIN webhook_subscriptions s ON s.id = c.subscription_id
"""


def secret_aad(subscription_id: uuid.UUID) -> str:
    return f"webhook:{subscription_id}:secret"


def _subscription(row: asyncpg.Record) -> Subscription:
    return Subscription(
        id=row["id"],
        tenant_id=row["tenant_id"],
        url=row["url"],
        event_types=tuple(row["event_types"]),
        description=row["description"],
        active=row["active"],
        created_at=row["created_at"],
    )


def _delivery(row: asyncpg.Record) -> DeliveryRecord:
    return DeliveryRecord(**{k: row[k] for k in DeliveryRecord.__slots__})


class WebhookRepository:
    def __init__(self, pool: asyncpg.Pool, box: SecretBox, *, max_age_s: float = 24 * 3600) -> None:
        self.pool = pool
        self.box = box
        self.max_age_s = max_age_s

    # -- subscriptions ---------------------------------------------------------------------------
    async def create(
        self, tenant_id: uuid.UUID, url: str, event_types: Sequence[str], description: str | None
    ) -> tuple[Subscription, str]:
        """The new subscription and its secret (returned once, stored sealed)."""
        sub_id = uuid.uuid4()
        secret = new_secret()
        row = await self.pool.fetchrow(
            f"""INSERT INTO webhook_subscriptions
                    (id, tenant_id, url, event_types, secret_sealed, description)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_SUB_COLUMNS}""",
            sub_id,
            tenant_id,
            url,
            list(event_types),
            self.box.seal_text(secret, secret_aad(sub_id)),
            description,
        )
        return _subscription(row), secret

    async def list_active(self, tenant_id: uuid.UUID) -> list[Subscription]:
        rows = await self.pool.fetch(
            f"SELECT {_SUB_COLUMNS} FROM webhook_subscriptions WHERE tenant_id = $1 AND active "
            "ORDER BY created_at",
            tenant_id,
        )
        return [_subscription(r) for r in rows]

    async def get(self, tenant_id: uuid.UUID, subscription_id: uuid.UUID) -> Subscription | None:
        row = await self.pool.fetchrow(
            f"SELECT {_SUB_COLUMNS} FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2 AND active",
            tenant_id,
            subscription_id,
        )
        return _subscription(row) if row else None

    async def delete(self, tenant_id: uuid.UUID, subscription_id: uuid.UUID) -> bool:
        """Deactivate; its pending deliveries are dropped (status ``cancelled``)."""
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.execute(
                "UPDATE webhook_subscriptions SET active = false, deleted_at = now() "
                "WHERE tenant_id = $1 AND id = $2 AND active",
                tenant_id,
                subscription_id,
            )
            if done.endswith(" 0"):
                return False
            await conn.execute(
                "UPDATE webhook_deliveries SET status = 'cancelled', locked_until = NULL "
                "WHERE subscription_id = $1 AND status = 'pending'",
                subscription_id,
            )
        return True

    async def matching(self, tenant_id: uuid.UUID, event_type: str) -> list[Subscription]:
        rows = await self.pool.fetch(
            f"SELECT {_SUB_COLUMNS} FROM webhook_subscriptions "
            "WHERE tenant_id = $1 AND active AND $2 = ANY (event_types)",
            tenant_id,
            event_type,
        )
        return [_subscription(r) for r in rows]

    def open_secret(self, subscription_id: uuid.UUID, sealed: str) -> str:
        return self.box.open_text(sealed, secret_aad(subscription_id))

    # -- queue -------------------------------------------------------------------------------------
    async def enqueue(self, deliveries: Sequence[NewDelivery]) -> int:
        """Insert deliveries; one per (subscription, source event), so a repeat is a no-op."""
        if not deliveries:
            return 0
        rows = await self.pool.fetch(
            """INSERT INTO webhook_deliveries
                   (id, subscription_id, tenant_id, event_type, source_message_id, ordering_key, body,
                    position, expires_at)
               SELECT d.id, d.subscription_id, d.tenant_id, d.event_type, d.source_message_id,
                      d.ordering_key, d.body, d.position, now() + make_interval(secs => $8)
               FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[],
                           $7::text[], $9::bigint[])
                    AS d(id, subscription_id, tenant_id, event_type, source_message_id, ordering_key, body,
                         position)
               ON CONFLICT (subscription_id, source_message_id) DO NOTHING
               RETURNING id""",
            [d.id for d in deliveries],
            [d.subscription_id for d in deliveries],
            [d.tenant_id for d in deliveries],
            [d.event_type for d in deliveries],
            [d.source_message_id for d in deliveries],
            [d.ordering_key for d in deliveries],
            [d.body for d in deliveries],
            self.max_age_s,
            [d.position for d in deliveries],
        )
        return len(rows)

    async def claim(self, limit: int, lease_s: float) -> list[ClaimedDelivery]:
        rows = await self.pool.fetch(_CLAIM, limit, lease_s)
        return [
            ClaimedDelivery(
                id=r["id"],
                subscription_id=r["subscription_id"],
                tenant_id=r["tenant_id"],
                url=r["url"],
                secret_sealed=r["secret_sealed"],
                body=r["body"],
                attempt=r["attempts"],
                created_at=r["created_at"],
                expires_at=r["expires_at"],
                subscription_active=r["active"],
            )
            for r in rows
        ]

    async def record(
        self, delivery: ClaimedDelivery, result: AttemptResult, next_attempt_at: datetime | None
    ) -> None:
        """Store an attempt: delivered on 2xx, else pending until ``next_attempt_at`` (None: failed)."""
        if result.ok:
            status, update = "delivered", "delivered_at = now(), "
        elif next_attempt_at is None:
            status, update = "failed", ""
        else:
            status, update = "pending", ""
        # one statement (its own transaction): the attempt row only when the lease is still ours
        await self.pool.execute(
            f"""WITH updated AS (
                    UPDATE webhook_deliveries SET status = $2, {update} locked_until = NULL,
                           last_status_code = $3, last_error = $4,
                           next_attempt_at = COALESCE($5, next_attempt_at)
                    WHERE id = $1 AND attempts = $6
                    RETURNING id)
                INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms)
                SELECT id, $6, $3, $4, $7 FROM updated
                ON CONFLICT DO NOTHING""",
            delivery.id,
            status,
            result.status_code,
            result.error,
            next_attempt_at,
            delivery.attempt,
            result.duration_ms,
        )

    # -- log and replay ------------------------------------------------------------------------------
    async def deliveries(
        self, tenant_id: uuid.UUID, subscription_id: uuid.UUID, *, limit: int = 100, before: datetime | None
    ) -> list[DeliveryRecord]:
        rows = await self.pool.fetch(
            f"""SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries
                WHERE tenant_id = $1 AND subscription_id = $2 AND ($4::timestamptz IS NULL OR created_at < $4)
                ORDER BY created_at DESC, seq DESC LIMIT $3""",
            tenant_id,
            subscription_id,
            limit,
            before,
        )
        return [_delivery(r) for r in rows]

    async def delivery(self, tenant_id: uuid.UUID, delivery_id: uuid.UUID) -> DeliveryRecord | None:
        row = await self.pool.fetchrow(
            f"SELECT {_DELIVERY_COLUMNS} FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            delivery_id,
        )
        return _delivery(row) if row else None

    async def replay(
        self,
        tenant_id: uuid.UUID,
        subscription_id: uuid.UUID,
        *,
        delivery_id: uuid.UUID | None = None,
        since: datetime | None = None,
    ) -> int:
        """Queue deliveries again (same id and body, fresh retry window): one, or all since a time."""
        result = await self.pool.execute(
            """UPDATE webhook_deliveries
               SET status = 'pending', next_attempt_at = now(), locked_until = NULL,
                   expires_at = now() + make_interval(secs => $5)
               WHERE tenant_id = $1 AND subscription_id = $2
                 AND ($3::uuid IS NULL OR id = $3) AND ($4::timestamptz IS NULL OR created_at >= $4)
                 AND status <> 'pending'
                 AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.id = $2 AND s.active)""",
            tenant_id,
            subscription_id,
            delivery_id,
            since,
            self.max_age_s,
        )
        return int(result.rsplit(" ", 1)[1])
