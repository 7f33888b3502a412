"""Migrations: applied in order, recorded, idempotent, a schema that rejects event changes."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from click.testing import CliRunner

from sifenflow_cli.main import cli
from sifenflow_common.artifacts import PostgresArtifactStore
from sifenflow_common.db.migrate import MIGRATIONS_DIR, MigrationError, discover, migrate
from sifenflow_common.testing import pg
from tests.backbone_support import DB_PREFIX, Database

pytestmark = pytest.mark.integration


async def test_migrate_applies_every_file_in_order_once_and_records_it(tmp_path) -> None:
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "9900_probe.sql").write_text("CREATE TABLE tenants_probe (id int PRIMARY KEY);")
    name = await pg.create_database(DB_PREFIX)
    try:
        conn = await asyncpg.connect(pg.dsn_for(name))
        try:
            applied = await migrate(conn, [MIGRATIONS_DIR, extra])
            assert [m.version for m in applied] == sorted(m.version for m in applied)
            assert applied[-1].version == 9900
            assert [m.version for m in applied[:-1]] == [m.version for m in discover()]
            assert await migrate(conn, [MIGRATIONS_DIR, extra]) == []  # idempotent
            recorded = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
            assert [r["version"] for r in recorded] == [m.version for m in applied]
            (extra / "9900_probe.sql").write_text("CREATE TABLE changed (id int);")
            with pytest.raises(MigrationError):
                await migrate(conn, [MIGRATIONS_DIR, extra])
        finally:
            await conn.close()
    finally:
        await pg.drop_database(name)


async def test_cli_db_migrate_brings_an_empty_database_up_to_date() -> None:
    name = await pg.create_database(DB_PREFIX)
    try:
        args = ["db", "migrate", "--database-url", pg.dsn_for(name)]
        result = await asyncio.to_thread(CliRunner().invoke, cli, args)
        assert result.exit_code == 0, result.output
        assert f"{len(discover())} migraciones aplicadas" in result.output
        conn = await asyncpg.connect(pg.dsn_for(name))
        try:
            tables = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables")}
        finally:
            await conn.close()
        assert {"events", "outbox", "processed_messages", "artifacts", "document_status"} <= tables
    finally:
        await pg.drop_database(name)


async def test_events_table_rejects_update_and_delete(database: Database) -> None:
    await database.pool.execute(
        "INSERT INTO events (stream_name, stream_version, message_id, type, schema_version, tenant_id, data,"
        " metadata) VALUES ('document-1', 1, gen_random_uuid(), 't', 1, gen_random_uuid(), '{}', '{}')"
    )
    with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
        await database.pool.execute("UPDATE events SET type = 'x'")
    with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
        await database.pool.execute("DELETE FROM events")
    row = await database.pool.fetchrow("SELECT category, transaction_id FROM events")
    assert row["category"] == "document" and row["transaction_id"] > 0


async def test_large_values_are_compressed_with_lz4_on_a_server_that_has_it(database: Database) -> None:
    """pglz cost ~4x the CPU of lz4 per TOASTed rDE; PostgreSQL 15 on Debian is built with lz4."""
    rows = await database.pool.fetch(
        "SELECT attrelid::regclass::text AS tbl, attname::text, attcompression::text FROM pg_attribute"
        " WHERE (attrelid::regclass::text, attname::text) IN"
        " (('artifacts', 'bytes'), ('events', 'data'), ('events', 'metadata'), ('outbox', 'body'))"
    )
    assert sorted((r["tbl"], r["attname"], r["attcompression"]) for r in rows) == [
        ("artifacts", "bytes", "l"),
        ("events", "data", "l"),
        ("events", "metadata", "l"),
        ("outbox", "body", "l"),
    ]
    blob = bytes(range(256)) * 64  # 16 KB, compressible enough to be compressed inline or TOASTed
    await PostgresArtifactStore(database.pool).put(blob * 4, "application/xml")
    assert await database.pool.fetchval("SELECT pg_column_compression(bytes) FROM artifacts") == "lz4"
