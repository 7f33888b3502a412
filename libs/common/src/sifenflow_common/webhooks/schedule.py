"""Retry schedule: exponential backoff with jitter, stopping at the delivery's expiry (24 h)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sifenflow_common.webhooks.settings import WebhookSettings


def retry_delay_s(attempt: int, settings: WebhookSettings, rng: random.Random | None = None) -> float:
    """Delay after failed attempt number ``attempt`` (1-based): base × backoff^(attempt-1), capped,
    then spread by ±jitter so many failing deliveries do not retry in lock step."""
    base = min(settings.base_delay_s * settings.backoff ** (attempt - 1), settings.max_delay_s)
    spread = (rng or random).uniform(-settings.jitter, settings.jitter)
    return max(0.0, base * (1 + spread))


def next_attempt(
    attempt: int,
    now: datetime,
    expires_at: datetime,
    settings: WebhookSettings,
    rng: random.Random | None = None,
) -> datetime | None:
    """When to try again, or None when the next try would fall after the expiry (give up)."""
    at = now + timedelta(seconds=retry_delay_s(attempt, settings, rng))
    return at if at <= expires_at else None
