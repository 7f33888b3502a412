"""Content-addressed artifact store: XML, PDF and SOAP exchanges keyed by their sha256.

Messages carry only the hash. ``put`` is idempotent (same bytes, same key); the Postgres adapter can
write inside the caller's transaction. Outside one, concurrent ``get``/``put`` calls are coalesced
into one query each (a worker handling twenty deliveries makes one round trip, not twenty).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

import asyncpg

from sifenflow_common.db.coalesce import Coalescer

MEDIA_XML = "application/xml"
MEDIA_PDF = "application/pdf"
MEDIA_JSON = "application/json"


class ArtifactNotFound(LookupError):
    def __init__(self, sha256: str) -> None:
        super().__init__(f"artifact {sha256} not found")
        self.sha256 = sha256


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ArtifactStore(Protocol):
    async def put(self, data: bytes, media_type: str) -> str:
        """Store ``data``; returns its sha256 (hex)."""

    async def get(self, sha256: str) -> bytes:
        """The bytes; raises ArtifactNotFound."""

    async def media_type(self, sha256: str) -> str: ...


_PUT = """
INSERT INTO artifacts (sha256, media_type, bytes) VALUES ($1, $2, $3)
ON CONFLICT (sha256) DO NOTHING
"""


_PUT_MANY = """
INSERT INTO artifacts (sha256, media_type, bytes)
SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
ON CONFLICT (sha256) DO NOTHING
"""
_GET_MANY = "SELECT sha256, bytes FROM artifacts WHERE sha256 = ANY($1::text[])"


class PostgresArtifactStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._puts: Coalescer[tuple[str, str, bytes], str] = Coalescer(self._put_many)
        self._gets: Coalescer[str, bytes] = Coalescer(self._get_many)

    async def put(self, data: bytes, media_type: str, conn: asyncpg.Connection | None = None) -> str:
        key = sha256_hex(data)
        if conn is not None:
            await conn.execute(_PUT, key, media_type, data)
            return key
        return await self._puts.submit((key, media_type, bytes(data)))

    async def get(self, sha256: str) -> bytes:
        return await self._gets.submit(sha256)

    async def _put_many(self, items: Sequence[tuple[str, str, bytes]]) -> list[str]:
        unique = {key: (key, media, data) for key, media, data in items}  # ON CONFLICT needs distinct keys
        columns = list(zip(*unique.values(), strict=True))
        await self.pool.execute(_PUT_MANY, *(list(c) for c in columns))
        return [key for key, _, _ in items]

    async def _get_many(self, keys: Sequence[str]) -> list[bytes | BaseException]:
        rows = await self.pool.fetch(_GET_MANY, list(set(keys)))
        found = {r["sha256"]: bytes(r["bytes"]) for r in rows}
        return [found[k] if k in found else ArtifactNotFound(k) for k in keys]

    async def media_type(self, sha256: str) -> str:
        media = await self.pool.fetchval("SELECT media_type FROM artifacts WHERE sha256 = $1", sha256)
        if media is None:
            raise ArtifactNotFound(sha256)
        return str(media)


class InMemoryArtifactStore:
    def __init__(self) -> None:
        self.items: dict[str, tuple[str, bytes]] = {}

    async def put(self, data: bytes, media_type: str) -> str:
        key = sha256_hex(data)
        self.items.setdefault(key, (media_type, bytes(data)))
        return key

    async def get(self, sha256: str) -> bytes:
        try:
            return self.items[sha256][1]
        except KeyError:
            raise ArtifactNotFound(sha256) from None

    async def media_type(self, sha256: str) -> str:
        try:
            return self.items[sha256][0]
        except KeyError:
            raise ArtifactNotFound(sha256) from None
