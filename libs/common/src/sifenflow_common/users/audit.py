"""The audit log: who (user or API key) did what (method, route, company) with what result, when.

Append-only (a trigger refuses UPDATE and DELETE). Entries carry ids and labels, never tokens.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg


@dataclass(frozen=True, slots=True)
class AuditEntry:
    tenant_id: uuid.UUID | None
    actor_kind: str  # user | key | anonymous
    actor_id: str
    actor_label: str
    action: str  # e.g. "POST /{tenant}/de/create", "auth.enlace"
    method: str
    route: str
    status: int


class AuditLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def append(self, entry: AuditEntry) -> None:
        await self._pool.execute(
            """
            INSERT INTO audit_log
                (tenant_id, actor_kind, actor_id, actor_label, action, method, route, status)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """,
            entry.tenant_id,
            entry.actor_kind,
            entry.actor_id,
            entry.actor_label,
            entry.action,
            entry.method,
            entry.route,
            entry.status,
        )

    async def page(
        self, tenant_id: uuid.UUID, *, limit: int, before: int | None = None
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Newest first; the cursor of the next (older) page, or None at the end."""
        rows = await self._pool.fetch(
            """
            SELECT * FROM audit_log WHERE tenant_id = $1 AND ($2::bigint IS NULL OR id < $2)
            ORDER BY id DESC LIMIT $3
            """,
            tenant_id,
            before,
            limit + 1,
        )
        items = [_view(r) for r in rows[:limit]]
        return items, (rows[limit - 1]["id"] if len(rows) > limit else None)


def _view(row: asyncpg.Record) -> dict[str, Any]:
    at: datetime = row["at"]
    return {
        "id": row["id"],
        "fecha": at,
        "actor": {"tipo": row["actor_kind"], "id": row["actor_id"], "nombre": row["actor_label"]},
        "accion": row["action"],
        "metodo": row["method"],
        "ruta": row["route"],
        "estado": row["status"],
    }
