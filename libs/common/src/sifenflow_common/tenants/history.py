"""A company's history: ``tenant.changed`` events on its stream ``tenant-<uuid>`` in the event store.

They are appended in the transaction that changes the company (no outbox: nothing consumes them on
the bus) and read back as the company's history (``GET /admin/tenants/{t}/historial``).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from sifenflow_common.eventstore.postgres import append_on
from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.messages.tenant import TenantChanged, tenant_stream


async def append_change(
    conn: asyncpg.Connection,
    tenant_id: uuid.UUID,
    *,
    actor: str,
    action: str,
    changes: list[dict[str, Any]],
    producer: str = "tenants",
) -> None:
    """Call inside the transaction that holds the company's row lock (``SELECT … FOR UPDATE``), so
    the stream version read here cannot move before the append."""
    stream = tenant_stream(tenant_id)
    version = await conn.fetchval(
        "SELECT COALESCE(max(stream_version), 0) FROM events WHERE stream_name = $1", stream
    )
    event = TenantChanged(actor=actor, action=action, changes=tuple(changes))
    await append_on(
        conn, stream, int(version), [Envelope.wrap(event, tenant_id=tenant_id, producer=producer)]
    )


async def read_history(pool: asyncpg.Pool, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT stream_version, data, recorded_at FROM events WHERE stream_name = $1 AND type = $2"
        " ORDER BY stream_version",
        tenant_stream(tenant_id),
        TenantChanged.TYPE,
    )
    out = []
    for row in rows:
        data = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
        out.append(
            {
                "version": row["stream_version"],
                "fecha": row["recorded_at"].isoformat(),
                "quien": data["actor"],
                "accion": data["action"],
                "cambios": data.get("changes", []),
            }
        )
    return out
