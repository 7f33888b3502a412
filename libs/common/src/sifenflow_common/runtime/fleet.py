"""Fleet gauges sampled from the database (the store service calls ``sample_fleet`` every minute):
documents per state, how long the least recently changed document of each non-final state has
waited (stuck documents), and when each active emisor's certificate and timbrados expire."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg

from sifenflow_common.readmodel.documents import FACTURASEND_ESTADO, TERMINAL
from sifenflow_common.runtime.metrics import Metrics

_DOCUMENTS = """
SELECT status, count(*) AS documents,
       min(updated_at) FILTER (WHERE status <> ALL($1::text[])) AS oldest
FROM document_status GROUP BY status
"""
_TENANTS = "SELECT slug, certificate_not_after, timbrados FROM tenants WHERE active"


def timbrado_end(fecha_fin: str) -> datetime:
    """A timbrado is valid through its last day (dFeFinT is a date): it ends at the next midnight, UTC."""
    return datetime.combine(date.fromisoformat(fecha_fin) + timedelta(days=1), time(), UTC)


async def sample_fleet(pool: asyncpg.Pool, metrics: Metrics, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    rows = await pool.fetch(_DOCUMENTS, list(TERMINAL))
    counts = {row["status"]: row["documents"] for row in rows}
    oldest = {row["status"]: row["oldest"] for row in rows if row["oldest"] is not None}
    for state in sorted(set(FACTURASEND_ESTADO) | set(counts)):
        metrics.documents.labels(state).set(counts.get(state, 0))
        if state not in TERMINAL:
            waited = (now - oldest[state]).total_seconds() if state in oldest else 0.0
            metrics.documents_oldest.labels(state).set(max(0.0, waited))
    tenants = await pool.fetch(_TENANTS)
    metrics.certificate_expiry.clear()  # emisores deactivated since the last sample drop out
    metrics.timbrado_expiry.clear()
    for tenant in tenants:
        if tenant["certificate_not_after"] is not None:
            metrics.certificate_expiry.labels(tenant["slug"]).set(tenant["certificate_not_after"].timestamp())
        for timbrado in _json(tenant["timbrados"]):
            try:
                end = timbrado_end(timbrado["fechaFin"]) if timbrado.get("fechaFin") else None
            except ValueError:  # not a date: nothing to warn about for this timbrado
                continue
            if end is not None:
                metrics.timbrado_expiry.labels(tenant["slug"], timbrado["numero"]).set(end.timestamp())


def _json(value: Any) -> list[dict[str, Any]]:
    parsed = json.loads(value) if isinstance(value, str) else value
    return list(parsed or [])
