"""``sifenflow run`` (every service in one process, in-process bus) on a fresh database of the real
PostgreSQL, driven over HTTP from the test's own thread; its log output goes to one file the tests
read (tracebacks, secrets)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sifenflow_common.testing import pg
from sifenflow_common.testing.ports import free_port

# hostile clients in a loop: the per-key rate limit would answer 429 instead of the finding
RUN_ENV = {
    "RATE_LIMIT_PER_SECOND": "100000",
    "RATE_LIMIT_BURST": "100000",
    "LOG_LEVEL": "INFO",
    # de/create and /invoicing answer after 1 s at most: the suite checks final states at its end
    "SYNC_WAIT_SECONDS": "1",
    "ARTIFACT_WAIT_SECONDS": "1",
}


@dataclass
class Answer:
    status: int
    body: Any
    raw: bytes


@dataclass
class RunStack:
    host: str
    port: int
    sim_port: int
    api_key: str
    master_key: str
    log: Path
    process: subprocess.Popen[bytes]

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return Answer(response.status, parsed, raw)

    def post_json(self, path: str, value: Any, token: str | None = None) -> Answer:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token or self.api_key}"}
        return self.request("POST", path, json.dumps(value).encode(), headers)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _database() -> str:
    return asyncio.run(pg.create_database("sifenflow_hostile_"))


@contextlib.contextmanager
def run_stack(tmp: Path) -> Iterator[RunStack]:
    database = _database()
    port, sim_port = free_port(), free_port()
    master_key = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        **RUN_ENV,
        "DATABASE_URL": pg.dsn_for(database),
        "MASTER_KEY": master_key,
    }
    env.pop("AMQP_URL", None)
    log = tmp / "run.log"
    args = [
        sys.executable,
        "-m",
        "sifenflow_cli.main",
        "run",
        "--port",
        str(port),
        "--sim-port",
        str(sim_port),
    ]
    args += ["--data-dir", str(tmp / "data"), "--skip", "kude"]
    with log.open("ab") as out:
        process = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        found = None
        while found is None:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "sifenflow run did not start"
            found = re.search(r"API key:\s+(\S+)", log.read_text(errors="replace"))
            time.sleep(0.2)
        yield RunStack("127.0.0.1", port, sim_port, found.group(1), master_key, log, process)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        asyncio.run(pg.drop_database(database))


FINAL = ("Aprobado", "Rechazado", "Aprobado con observación", "Cancelado")


def final_states(
    stack: RunStack, cdcs: list[str], timeout: float = 120, *, slug: str = "demo", token: str | None = None
) -> dict[str, str]:
    """Wait until every CDC reads a final state; returns the last estado of each."""
    deadline = time.monotonic() + timeout
    states: dict[str, str] = {}
    pending = list(dict.fromkeys(cdcs))
    while pending and time.monotonic() < deadline:
        for start in range(0, len(pending), 50):
            chunk = pending[start : start + 50]
            body = {"cdcList": [{"cdc": c} for c in chunk]}
            answer = stack.post_json(f"/{slug}/de/estado", body, token)
            assert answer.status == 200, answer.raw[:500]
            for entry in answer.body["deList"]:
                states[entry["cdc"]] = entry.get("estado")
        pending = [c for c in pending if states.get(c) not in FINAL]
        if pending:
            time.sleep(0.5)
    return states
