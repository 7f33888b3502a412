"""The simulator's clock: real time plus an offset that the admin endpoint can move.

Moving the clock lets tests (and demos) reach the end of a window, e.g. cancel an FE 49 h after its
approval (MT v150 §6.2.1: 48 h), without waiting.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

try:
    from zoneinfo import ZoneInfo

    PARAGUAY = ZoneInfo("America/Asuncion")
except Exception:  # pragma: no cover - no tz database: Paraguay has kept UTC-3 since 2024
    PARAGUAY = timezone(timedelta(hours=-3))  # type: ignore[assignment]


class Clock:
    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Aware current time of the simulator, in Paraguay's zone (dFecProc carries the offset)."""
        return (datetime.now(UTC) + self._offset).astimezone(PARAGUAY)

    def local_naive(self) -> datetime:
        """Paraguay wall-clock time without offset, comparable with dFecFirma / dFeEmiDE."""
        return self.now().replace(tzinfo=None)

    @property
    def offset(self) -> timedelta:
        return self._offset

    def set_offset(self, offset: timedelta) -> None:
        with self._lock:
            self._offset = offset

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._offset += delta
