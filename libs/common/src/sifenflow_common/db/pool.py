"""asyncpg pool with the session settings every service shares."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

# Long transactions hold back the read horizon of every subscription (style §5): cut them off.
SERVER_SETTINGS = {"idle_in_transaction_session_timeout": "60000"}


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Pool release hook: asyncpg's default runs ``RESET ALL; UNLISTEN *; …`` on every release, one
    more round trip per query. No code here changes session state on a pooled connection (settings
    are per transaction, advisory locks and LISTEN use dedicated connections), and asyncpg still
    rolls back a transaction left open, so nothing needs resetting."""


def censor_dsn(dsn: str) -> str:
    """The DSN with its password replaced, for logs."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", dsn)


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, application_name: str = "sifenflow"
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        server_settings={**SERVER_SETTINGS, "application_name": application_name},
        reset=_keep_session,
    )
    assert pool is not None
    await pool.fetchval("SELECT 1")
    return pool


@asynccontextmanager
async def pool_context(
    dsn: str, *, min_size: int = 1, max_size: int = 10, application_name: str = "sifenflow"
) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(dsn, min_size=min_size, max_size=max_size, application_name=application_name)
    try:
        yield pool
    finally:
        await pool.close()
