"""Ctrl-C in `sifenflow run` while lotes stream in, then `sifenflow run` again at once on the same
data directory: every acknowledged document ends Aprobado, SIFEN (the simulator's own store) got
each CDC once, the numbering has no gap; a second concurrent instance on that directory is refused."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from sifenflow_common.testing import eventually
from sifenflow_common.testing.ports import free_port
from sifenflow_standalone.demo import DEMO_SLUG, demo_invoice
from tests.e2e.pipeline.stack import Stack, Tenant, cli, statuses

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(150)]

LOTE = 10  # documents per lote/create
ACKED_BEFORE_STOP = 120  # the stop comes once this many documents were acknowledged


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AMQP_URL", "MASTER_KEY")}
    env["LOG_LEVEL"] = "INFO"
    return env


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(args, env=_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


async def _api_key(proc: subprocess.Popen[bytes], log: Path, skip: int) -> str:
    def key() -> str:
        text = log.read_text(errors="replace")
        assert proc.poll() is None, text[-3000:]
        found = re.findall(r"API key:\s+(\S+)", text)
        assert len(found) > skip, "waiting for the banner"
        return str(found[skip])

    return await eventually(key, 90, 0.2)


async def _stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        return await asyncio.to_thread(proc.wait, 60)
    except subprocess.TimeoutExpired:
        proc.kill()
        await asyncio.to_thread(proc.wait)
        raise


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
async def test_stop_mid_stream_then_restart_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    gateway_port, sim_port = free_port(), free_port()
    # Not under pytest's tmp_path: the embedded PostgreSQL runs as another user and needs to traverse
    # the path, and a concurrent pytest run resets /tmp/pytest-of-<user> to 0700.
    base = Path(tempfile.mkdtemp(prefix="sifenflow-run-e2e-"))
    data_dir = base / "data"
    log = tmp_path / "run.log"
    args = cli(
        *("run", "--port", str(gateway_port), "--sim-port", str(sim_port), "--data-dir", str(data_dir)),
        *("--skip", "kude", "--skip", "mailer", "--skip", "notifier"),
    )
    url = f"http://127.0.0.1:{gateway_port}"
    first = _start(args, log)
    second: subprocess.Popen[bytes] | None = None
    try:
        demo = Tenant(DEMO_SLUG, await _api_key(first, log, 0))

        other = cli(
            "run", "--port", str(free_port()), "--sim-port", str(free_port()), "--data-dir", str(data_dir)
        )
        refused = await asyncio.to_thread(subprocess.run, other, env=_env(), capture_output=True, timeout=60)
        assert refused.returncode != 0
        error = json.loads(refused.stderr.decode().strip().splitlines()[-1])
        assert error["code"] == "DATOS_EN_USO" and f"pid {first.pid}" in error["message"], error
        assert first.poll() is None  # the first one was not disturbed

        acked: dict[str, str] = {}  # cdc -> numero, only what the API acknowledged with 200
        enough = asyncio.Event()

        async def stream(session: aiohttp.ClientSession) -> None:
            headers = {"Authorization": f"Bearer {demo.api_key}"}
            while True:
                try:
                    async with session.post(
                        f"{url}/{demo.slug}/lote/create",
                        json=[demo_invoice() for _ in range(LOTE)],
                        headers=headers,
                    ) as response:
                        body: dict[str, Any] = await response.json(content_type=None)
                        if response.status != 200:
                            return  # stopping: 503 and the like acknowledge nothing
                except (aiohttp.ClientError, TimeoutError):
                    return  # the server went away mid-request: not acknowledged
                acked.update({d["cdc"]: d["numero"] for d in body["deList"]})
                if len(acked) >= ACKED_BEFORE_STOP:
                    enough.set()

        async with aiohttp.ClientSession() as session:
            streams = [asyncio.create_task(stream(session)) for _ in range(4)]
            await asyncio.wait_for(enough.wait(), 60)
            first.send_signal(stop_signal)  # with lotes in flight
            await asyncio.gather(*streams)
        code = await asyncio.to_thread(first.wait, 60)
        assert code == (0 if stop_signal == signal.SIGINT else -signal.SIGKILL)

        second = _start(args, log)  # at once, same ports and data directory
        await _api_key(second, log, 1)
        stack = Stack("standalone", url, f"http://127.0.0.1:{sim_port}", "", data_dir / "test-ca")
        async with aiohttp.ClientSession() as session:
            cdcs = sorted(acked)

            async def all_approved() -> None:
                found = await statuses(session, stack, demo, cdcs)
                estados = sorted({found[c]["estado"] for c in cdcs})
                assert estados == ["Aprobado"], estados

            await eventually(all_approved, timeout=60, interval=1.0)
            headers = {"Authorization": f"Bearer {demo.api_key}"}
            async with session.get(f"{url}/{demo.slug}/numeracion/huecos", headers=headers) as response:
                assert response.status == 200
                assert (await response.json())["result"] == []  # no gap: every number taken was approved
        assert await _stop(second) == 0
        assert "PUERTO_OCUPADO" not in log.read_text(errors="replace")

        with sqlite3.connect(data_dir / "sim" / "sim.sqlite3") as sim:
            twice = sim.execute(
                "SELECT cdc, count(*) FROM lote_items GROUP BY cdc HAVING count(*) > 1"
            ).fetchall()
            approved = {r[0] for r in sim.execute("SELECT cdc FROM documents WHERE protocol IS NOT NULL")}
        assert twice == []  # SIFEN received each CDC once
        assert set(cdcs) <= approved
        assert len(set(acked.values())) == len(acked)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        _stop_orphan_postgres(data_dir / "pg")
        shutil.rmtree(base, ignore_errors=True)


def _stop_orphan_postgres(pgdata: Path) -> None:
    """After a kill -9 the embedded PostgreSQL outlives `sifenflow run` (the next start reuses it and
    leaves it running): stop it (fast shutdown) so the test leaves no process behind."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.is_file():
        return
    with contextlib.suppress(ValueError, ProcessLookupError):
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, signal.SIGINT)
        for _ in range(100):
            os.kill(pid, 0)  # ProcessLookupError once it is gone
            time.sleep(0.1)
