"""Fleet gauges from the database (the store service samples them every minute): documents per
state, how long the least recently changed document of each non-final state has waited, and when
active emisores' certificates and timbrados expire."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sifenflow_common.runtime.fleet import sample_fleet
from sifenflow_common.runtime.metrics import Metrics
from tests.backbone_support import Database

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


async def _document(db: Database, status: str, changed: datetime) -> None:
    await db.pool.execute(
        """INSERT INTO document_status (tenant_id, document_id, document_type, establishment,
               expedition_point, number, status, stream_version, created_at, updated_at)
           VALUES ($1, $2, 1, '001', '001', '0000001', $3, 1, $4, $4)""",
        uuid.uuid4(),
        uuid.uuid4(),
        status,
        changed,
    )


async def _tenant(
    db: Database, slug: str, not_after: datetime | None, timbrados: list[dict], active: bool
) -> None:
    await db.pool.execute(
        """INSERT INTO tenants (id, slug, nombre, environment, sifen_base_url, params, timbrados,
               certificate_not_after, active)
           VALUES ($1, $2, $2, 'test', 'https://sifen-test.set.gov.py', '{}'::jsonb, $3::jsonb, $4, $5)""",
        uuid.uuid4(),
        slug,
        json.dumps(timbrados),
        not_after,
        active,
    )


async def test_documents_per_state_and_the_oldest_waiting(database: Database) -> None:
    await _document(database, "approved", NOW - timedelta(days=3))
    await _document(database, "approved", NOW - timedelta(days=1))
    await _document(database, "signed", NOW - timedelta(minutes=30))
    await _document(database, "signed", NOW - timedelta(minutes=5))
    await _document(database, "sending", NOW - timedelta(seconds=90))
    metrics = Metrics("store")
    await sample_fleet(database.pool, metrics, now=NOW)

    def value(name: str, state: str) -> float | None:
        return metrics.registry.get_sample_value(name, {"state": state})

    assert value("sifenflow_documents", "approved") == 2
    assert value("sifenflow_documents", "signed") == 2
    assert value("sifenflow_documents", "rejected") == 0  # every state is present, zero or not
    assert value("sifenflow_documents_oldest_age_seconds", "signed") == 30 * 60
    assert value("sifenflow_documents_oldest_age_seconds", "sending") == 90
    assert value("sifenflow_documents_oldest_age_seconds", "built") == 0
    assert value("sifenflow_documents_oldest_age_seconds", "approved") is None  # final: never stuck


async def test_certificate_and_timbrado_expiry_of_active_emisores(database: Database) -> None:
    expires = NOW + timedelta(days=20)
    timbrados = [
        {"numero": "12558946", "fechaInicio": "2024-01-01", "fechaFin": "2026-12-31"},
        {"numero": "12558947", "fechaInicio": "2025-01-01", "fechaFin": None},
        {"numero": "12558948", "fechaInicio": "2025-01-01", "fechaFin": "31/12/2026"},  # not a date: skipped
    ]
    await _tenant(database, "acme", expires, timbrados, active=True)
    await _tenant(database, "dormida", expires, timbrados, active=False)
    metrics = Metrics("store")
    await sample_fleet(database.pool, metrics, now=NOW)
    registry = metrics.registry
    assert (
        registry.get_sample_value("sifenflow_certificate_expiry_timestamp_seconds", {"tenant": "acme"})
        == expires.timestamp()
    )
    assert (
        registry.get_sample_value(
            "sifenflow_timbrado_expiry_timestamp_seconds", {"tenant": "acme", "timbrado": "12558946"}
        )
        == datetime(2027, 1, 1, tzinfo=UTC).timestamp()
    )  # valid through its last day
    assert (
        registry.get_sample_value(
            "sifenflow_timbrado_expiry_timestamp_seconds", {"tenant": "acme", "timbrado": "12558947"}
        )
        is None
    )
    assert (
        registry.get_sample_value("sifenflow_certificate_expiry_timestamp_seconds", {"tenant": "dormida"})
        is None
    )

    await database.pool.execute("UPDATE tenants SET active = false WHERE slug = 'acme'")
    await sample_fleet(database.pool, metrics, now=NOW)
    assert (
        registry.get_sample_value("sifenflow_certificate_expiry_timestamp_seconds", {"tenant": "acme"})
        is None
    )
