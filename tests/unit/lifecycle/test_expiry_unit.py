"""Certificate expiry thresholds (30, 7, 1 days; SIFEN 0121/0122 refuse expired certificates)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sifenflow_notifier.expiry import days_left, expiring_event, threshold_reached

pytestmark = pytest.mark.unit
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("left", "threshold"),
    [(45, None), (31, None), (30, 30), (8, 30), (7, 7), (2, 7), (1, 1), (0, 1), (-1, None)],
)
def test_most_urgent_threshold_reached(left: int, threshold: int | None) -> None:
    assert threshold_reached(left) == threshold


def test_days_left_rounds_up_partial_days() -> None:
    assert days_left(NOW + timedelta(days=6, hours=1), NOW) == 7
    assert days_left(NOW + timedelta(days=7), NOW) == 7


def test_same_certificate_and_threshold_gives_the_same_message_id() -> None:
    tenant = uuid.uuid4()
    not_after = NOW + timedelta(days=6)
    first = expiring_event(tenant, not_after, NOW, "t")
    later = expiring_event(tenant, not_after, NOW + timedelta(days=2), "t")  # 4 days left: still 7
    assert first is not None and later is not None
    assert first.message_id == later.message_id and first.payload["threshold"] == 7
    last_day = expiring_event(tenant, not_after, NOW + timedelta(days=5, hours=1), "t")
    assert last_day is not None and last_day.message_id != first.message_id
    assert last_day.payload["threshold"] == 1
    assert expiring_event(tenant, NOW + timedelta(days=90), NOW, "t") is None
