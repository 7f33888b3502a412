"""Daily certificate expiry check: ``certificate.expiring`` on stream ``tenant-<id>`` when a
tenant's signing certificate has 30, 7 or 1 days left (SIFEN refuses signatures made with an
expired certificate: 0121/0122). Only the most urgent threshold reached is emitted, once per
(certificate expiry, threshold): the message id is derived from them, so the event store's
unique message id turns a repeated check (or a second notifier) into a no-op."""

from __future__ import annotations

import asyncio
import contextlib
import math
import uuid
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg

from sifenflow_common.eventstore.ports import DuplicateMessage, EventStore
from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.messages.lifecycle import CertificateExpiring
from sifenflow_common.runtime.logging import get_logger

log = get_logger(__name__)
THRESHOLDS_DAYS: tuple[int, ...] = (30, 7, 1)
_NAMESPACE = uuid.UUID("b0c5e7f2-6a43-4d2e-8f0a-5d8e3c1f9a27")


def days_left(not_after: datetime, now: datetime) -> int:
    return math.ceil((not_after - now).total_seconds() / 86400)


def threshold_reached(left: int, thresholds: Sequence[int] = THRESHOLDS_DAYS) -> int | None:
    """The smallest threshold ≥ ``left`` (the most urgent one reached); None above all of them or
    once the certificate has expired."""
    if left < 0:
        return None
    reached = [t for t in thresholds if left <= t]
    return min(reached) if reached else None


def expiring_event(
    tenant_id: uuid.UUID, not_after: datetime, now: datetime, producer: str
) -> Envelope | None:
    left = days_left(not_after, now)
    threshold = threshold_reached(left)
    if threshold is None:
        return None
    message = CertificateExpiring(
        not_after=not_after, days_left=left, threshold=threshold, checked_on=now.date()
    )
    message_id = uuid.uuid5(_NAMESPACE, f"{tenant_id}:{not_after.isoformat()}:{threshold}")
    return Envelope.wrap(message, tenant_id=tenant_id, producer=producer, message_id=message_id)


async def check_certificates(
    pool: asyncpg.Pool, store: EventStore, producer: str, now: datetime | None = None
) -> int:
    """One pass over every tenant with a certificate; returns how many events were emitted."""
    now = now or datetime.now(UTC)
    rows = await pool.fetch(
        "SELECT id, certificate_not_after FROM tenants WHERE certificate_not_after IS NOT NULL"
    )
    emitted = 0
    for row in rows:
        envelope = expiring_event(row["id"], row["certificate_not_after"], now, producer)
        if envelope is None:
            continue
        stream = f"tenant-{row['id']}"
        try:
            async with store.transaction() as tx:
                version = await tx.stream_version(stream)
                await tx.append(stream, version, [envelope])
            emitted += 1
        except DuplicateMessage:
            continue  # already announced for this certificate and threshold
    return emitted


def _utcnow() -> datetime:
    return datetime.now(UTC)


def daily_check(
    pool: asyncpg.Pool,
    store: EventStore,
    producer: str,
    interval_s: float = 86400.0,
    clock: Callable[[], datetime] = _utcnow,
) -> Callable[[asyncio.Event], Coroutine[Any, Any, None]]:
    """A background task (``ServicePlan.tasks``): a check at start, then every ``interval_s``."""

    async def run(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                count = await check_certificates(pool, store, producer, clock())
                if count:
                    log.info("certificate expiry announced", tenants=count)
            except Exception:
                log.exception("certificate expiry check failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)

    return run
