"""Apply numbered plain-SQL migrations in order and record each one.

Files are ``NNNN_name.sql``; every file of every given directory is applied once, in numeric order,
each in its own transaction, under an advisory lock so concurrent migrators wait for each other.
Numbers 0001-0099 belong to the backbone; other areas add theirs (0100+) to the same directory.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x51F3_F10D  # advisory lock id of the migrator

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(directories: Iterable[Path] = (MIGRATIONS_DIR,)) -> list[Migration]:
    found: dict[int, Migration] = {}
    for directory in directories:
        for path in sorted(Path(directory).glob("*.sql")):
            match = _NAME.match(path.name)
            if match is None:
                raise MigrationError(f"migration file name must be NNNN_name.sql: {path}")
            version = int(match.group(1))
            if version in found:
                raise MigrationError(f"two migrations numbered {version:04d}: {found[version].path}, {path}")
            found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


async def applied_versions(conn: asyncpg.Connection) -> dict[int, str]:
    await conn.execute(_CREATE_LEDGER)
    rows = await conn.fetch("SELECT version, checksum FROM schema_migrations")
    return {r["version"]: r["checksum"] for r in rows}


async def migrate(
    conn: asyncpg.Connection, directories: Sequence[Path] = (MIGRATIONS_DIR,)
) -> list[Migration]:
    """Apply every pending migration; returns those applied now. A changed applied file is an error."""
    migrations = discover(directories)
    applied_now: list[Migration] = []
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        done = await applied_versions(conn)
        for migration in migrations:
            checksum = migration.checksum
            if migration.version in done:
                if done[migration.version] != checksum:
                    raise MigrationError(
                        f"migration {migration.path.name} changed after it was applied; add a new one"
                    )
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    checksum,
                )
            applied_now.append(migration)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied_now


async def migrate_dsn(dsn: str, directories: Sequence[Path] = (MIGRATIONS_DIR,)) -> list[Migration]:
    conn = await asyncpg.connect(dsn)
    try:
        return await migrate(conn, directories)
    finally:
        await conn.close()
