"""Legal retention in the database itself: signed XML and SIFEN exchanges (``artifacts``) cannot be
changed, nor deleted before five years, nor truncated, whoever connects; older ones may go."""

from __future__ import annotations

import asyncpg
import pytest

from sifenflow_common.artifacts import MEDIA_XML, PostgresArtifactStore
from tests.backbone_support import Database

pytestmark = pytest.mark.integration


async def test_artifacts_are_kept_five_years(database: Database) -> None:
    pool = database.pool
    recent = await PostgresArtifactStore(pool).put(b"<rDE>firmado</rDE>", MEDIA_XML)
    with pytest.raises(asyncpg.RestrictViolationError, match="5-year legal retention"):
        await pool.execute("DELETE FROM artifacts WHERE sha256 = $1", recent)
    with pytest.raises(asyncpg.RestrictViolationError, match="immutable"):
        await pool.execute("UPDATE artifacts SET bytes = 'x' WHERE sha256 = $1", recent)
    with pytest.raises(asyncpg.RestrictViolationError, match="TRUNCATE rejected"):
        await pool.execute("TRUNCATE artifacts CASCADE")
    assert await PostgresArtifactStore(pool).get(recent) == b"<rDE>firmado</rDE>"

    old = "0" * 64
    await pool.execute(
        "INSERT INTO artifacts (sha256, media_type, bytes, created_at)"
        " VALUES ($1, $2, 'x', now() - interval '5 years 1 day')",
        old,
        MEDIA_XML,
    )
    assert await pool.execute("DELETE FROM artifacts WHERE sha256 = $1", old) == "DELETE 1"
