"""Content-addressed artifact store, on memory and on Postgres: the key is the sha256 of the bytes."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from sifenflow_common.artifacts import (
    MEDIA_PDF,
    MEDIA_XML,
    ArtifactNotFound,
    ArtifactStore,
    InMemoryArtifactStore,
    PostgresArtifactStore,
)
from tests.backbone_support import open_database

pytestmark = pytest.mark.contract


@pytest_asyncio.fixture(loop_scope="function", params=["memory", "postgres"])
async def artifacts(request: pytest.FixtureRequest, bb_template: str) -> AsyncIterator[ArtifactStore]:
    if request.param == "memory":
        yield InMemoryArtifactStore()
        return
    async with open_database(bb_template) as db:
        yield PostgresArtifactStore(db.pool)


async def test_put_returns_sha256_and_get_returns_the_same_bytes(artifacts: ArtifactStore) -> None:
    xml = "<rDE><dDesPaisRec>Asunción</dDesPaisRec></rDE>".encode()
    key = await artifacts.put(xml, MEDIA_XML)
    assert key == hashlib.sha256(xml).hexdigest()
    assert await artifacts.get(key) == xml
    assert await artifacts.media_type(key) == MEDIA_XML


async def test_put_is_idempotent_and_keeps_the_first_media_type(artifacts: ArtifactStore) -> None:
    data = b"%PDF-1.7 kude"
    assert await artifacts.put(data, MEDIA_PDF) == await artifacts.put(data, MEDIA_PDF)
    assert await artifacts.media_type(hashlib.sha256(data).hexdigest()) == MEDIA_PDF


async def test_unknown_hash_is_not_found(artifacts: ArtifactStore) -> None:
    with pytest.raises(ArtifactNotFound):
        await artifacts.get("0" * 64)


async def test_concurrent_puts_and_gets_each_get_their_own_outcome(artifacts: ArtifactStore) -> None:
    """A worker's concurrent calls may share one query (Postgres coalesces them); each caller still
    gets its own key, bytes or ArtifactNotFound, duplicates included."""
    blobs = [f"<rDE n='{i}'/>".encode() for i in range(30)] + [b"<rDE n='0'/>"]
    keys = await asyncio.gather(*(artifacts.put(b, MEDIA_XML) for b in blobs))
    assert keys == [hashlib.sha256(b).hexdigest() for b in blobs]
    missing = hashlib.sha256(b"never stored").hexdigest()
    got = await asyncio.gather(*(artifacts.get(k) for k in [*keys, missing]), return_exceptions=True)
    assert got[:-1] == blobs
    assert isinstance(got[-1], ArtifactNotFound) and got[-1].sha256 == missing
    if isinstance(artifacts, PostgresArtifactStore):
        assert artifacts._gets.batches < len(keys)  # coalesced, not one round trip per get
