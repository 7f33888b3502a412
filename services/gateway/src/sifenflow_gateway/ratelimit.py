"""Per-API-key token buckets: ``take`` answers 0.0 (allowed) or the seconds to wait (Retry-After).

``PgRateLimiter`` keeps the buckets in PostgreSQL, so every gateway replica draws from the same
bucket (one UPSERT per authenticated request, timed by the database's clock). ``LocalRateLimiter``
keeps them in the process; the in-memory app of the unit tests uses it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import asyncpg


class RateLimiter(Protocol):
    async def take(self, key: str, cost: float = 1.0) -> float: ...


def _retry_after(tokens: float, cost: float, rate: float) -> float:
    return (cost - tokens) / rate if rate > 0 else 60.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


class LocalRateLimiter:
    def __init__(
        self, rate_per_second: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate_per_second
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    async def take(self, key: str, cost: float = 1.0) -> float:
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=self._burst, updated=now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return _retry_after(bucket.tokens, cost, self._rate)


# $1 bucket, $2 burst, $3 rate per second, $4 cost. The row lock serialises replicas on one key.
_TAKE = """
WITH now AS (SELECT clock_timestamp() AS t)
INSERT INTO gateway_rate_limits AS b (bucket, tokens, updated, allowed)
SELECT $1, $2::float8 - $4::float8, t, $2::float8 >= $4::float8 FROM now
ON CONFLICT (bucket) DO UPDATE SET
    tokens = least($2::float8, b.tokens + extract(epoch FROM EXCLUDED.updated - b.updated) * $3::float8)
             - CASE WHEN least($2::float8, b.tokens
                   + extract(epoch FROM EXCLUDED.updated - b.updated) * $3::float8) >= $4::float8
                    THEN $4::float8 ELSE 0 END,
    updated = EXCLUDED.updated,
    allowed = least($2::float8, b.tokens
                  + extract(epoch FROM EXCLUDED.updated - b.updated) * $3::float8) >= $4::float8
RETURNING tokens, allowed
"""


class PgRateLimiter:
    def __init__(self, pool: asyncpg.Pool, rate_per_second: float, burst: int) -> None:
        self._pool = pool
        self._rate = rate_per_second
        self._burst = float(burst)

    async def take(self, key: str, cost: float = 1.0) -> float:
        row = await self._pool.fetchrow(_TAKE, key, self._burst, self._rate, cost)
        assert row is not None
        if row["allowed"]:
            return 0.0
        return _retry_after(float(row["tokens"]), cost, self._rate)
