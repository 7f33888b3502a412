"""Hand-written fakes for unit tests (style §9): the in-memory adapters plus a controllable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sifenflow_common.artifacts import InMemoryArtifactStore
from sifenflow_common.bus.inprocess import InProcessBus
from sifenflow_common.eventstore.memory import InMemoryEventStore


class FakeClock:
    """``now()`` returns a fixed aware UTC time that only moves when told to."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now


__all__ = ["FakeClock", "InMemoryArtifactStore", "InMemoryEventStore", "InProcessBus"]
