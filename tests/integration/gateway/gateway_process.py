"""Start `sifenflow serve gateway` as its own process on a test database (TLS and replica tests)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import ssl
import sys
from collections.abc import AsyncIterator, Mapping

import aiohttp

from sifenflow_common.testing import eventually
from sifenflow_common.testing.ports import free_port

MASTER = "process-test-master-key-0123456789"


@contextlib.asynccontextmanager
async def gateway_process(
    dsn: str, env: Mapping[str, str] | None = None, *, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[str]:
    """Yields the base URL once ``/healthz`` answers; SIGTERM on exit (must exit 0)."""
    port = free_port()
    scheme = "https" if ssl_context is not None else "http"
    url = f"{scheme}://127.0.0.1:{port}"
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "sifenflow_cli.main", "serve", "gateway"),
        env={
            **os.environ,
            "DATABASE_URL": dsn,
            "HTTP_PORT": str(port),
            "MASTER_KEY": MASTER,
            "RESUME_BULK_ON_START": "false",
            "LOG_LEVEL": "WARNING",
            "DB_POOL_MAX": "4",
            **(env or {}),
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as session:

            async def healthy() -> bool:
                assert proc.returncode is None, "the gateway process exited"
                try:
                    async with session.get(f"{url}/healthz", ssl=ssl_context or True) as resp:
                        return resp.status == 200
                except aiohttp.ClientError:
                    return False

            await eventually(healthy, timeout=60, interval=0.2)
        yield url
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
