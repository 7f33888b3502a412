"""Throw-away Postgres databases for tests: cloned from a migrated template, dropped afterwards.

The server must be running (integration tests fail loudly otherwise; they never skip).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import asyncpg

from sifenflow_common.db.migrate import MIGRATIONS_DIR, migrate

ADMIN_DSN_ENV = "SIFENFLOW_TEST_PG_ADMIN"
DEFAULT_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_dsn() -> str:
    return os.environ.get(ADMIN_DSN_ENV, DEFAULT_ADMIN_DSN)


def dsn_for(database: str) -> str:
    base, _, _ = admin_dsn().rpartition("/")
    return f"{base}/{database}"


async def _admin() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(admin_dsn())
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(
            f"PostgreSQL is required for this test and is not reachable at {admin_dsn()}: {exc}"
        ) from exc


async def create_template(name: str, directories: Sequence[Path] = (MIGRATIONS_DIR,)) -> str:
    """(Re)create database ``name`` with every migration applied; returns its name."""
    admin = await _admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(dsn_for(name))
    try:
        await migrate(conn, directories)
    finally:
        await conn.close()
    return name


async def create_database(prefix: str, template: str | None = None) -> str:
    """A new empty (or cloned) database named ``<prefix><random>``; returns its name."""
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    admin = await _admin()
    try:
        clause = f' TEMPLATE "{template}"' if template else ""
        await admin.execute(f'CREATE DATABASE "{name}"{clause}')
    finally:
        await admin.close()
    return name


async def drop_database(name: str) -> None:
    admin = await _admin()
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
