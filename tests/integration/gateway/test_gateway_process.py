"""The gateway as its own process (`sifenflow serve gateway`, as in production and docker-compose):
it starts on real PostgreSQL, freezes its start-up heap once serving, answers over HTTP and stops
cleanly on SIGTERM. The other tests build the app in-process and never run this entry point."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiohttp
import pytest

from sifenflow_common.testing import eventually
from sifenflow_common.testing.ports import free_port

pytestmark = pytest.mark.integration


async def test_the_gateway_process_serves_and_stops_on_sigterm(gw_dsn: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": gw_dsn,
        "HTTP_PORT": str(port),
        "MASTER_KEY": "process-test-master-key-0123456789",
        "RESUME_BULK_ON_START": "false",
        "LOG_LEVEL": "INFO",
    }
    command = [sys.executable, "-m", "sifenflow_cli.main", "serve", "gateway"]
    proc = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        async with aiohttp.ClientSession() as session:

            async def healthy() -> bool:
                assert proc.returncode is None, "the gateway process exited"
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                        return resp.status == 200
                except aiohttp.ClientError:
                    return False

            await eventually(healthy, timeout=60, interval=0.2)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
        assert proc.stdout is not None
        output = (await proc.stdout.read()).decode(errors="replace")
        assert "start-up heap frozen" in output
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
