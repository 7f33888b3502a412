"""``make chaos``: the fault drill. Starts the multi-process stack (tests/e2e/pipeline/stack.py) on
its own PostgreSQL and its own RabbitMQ node, both in a temporary directory on free ports (never the
machine's 5432/5672), pushes documents through lote/create while it SIGKILLs and restarts every
worker, the broker, the database and the simulator and makes the simulator fail like SIFEN (503,
latency past the sender's read timeout, 0301), then prints what happened:

sent / acknowledged / approved / lost / CDCs sent twice / numbering gaps / parked messages, and the
recovery time of each fault (from the restart, or the injection for SIFEN faults, until every
document acknowledged so far is in a final state).

Usage: ``make chaos`` (``CHAOS_ARGS="--documents 500"``) or
``PYTHONPATH=. .venv/bin/python scripts/chaos.py --documents 500``. Exit 0 when nothing was lost,
no CDC reached the simulator twice and no numbering gap is left unexplained.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import aio_pika
import aiohttp
import asyncpg
from tests.e2e.pipeline.stack import BENCH_ENV, Stack, _spawn, bearer, processes_stack

from sifenflow_common.bus.rabbit import PARKING_QUEUE
from sifenflow_common.readmodel.documents import TERMINAL
from sifenflow_common.testing.ports import free_port
from sifenflow_standalone.demo import DEMO_SLUG, demo_invoice

LOTE_SIZE = 50
POSTERS = 3  # lote/create requests in flight
DOWN_S = 3.0  # how long a killed process stays down
SENDER_READ_TIMEOUT_S = 45  # SifenClientConfig.read_timeout: the latency fault goes past it
PHASE_TIMEOUT_S = 150.0


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- own PostgreSQL -----------------------------------------------------------------------------------
class OwnPostgres:
    """A throwaway cluster (Debian's binaries) on a free port; as root it runs as user postgres."""

    def __init__(self, root: Path) -> None:
        candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not candidates:
            raise SystemExit("chaos: no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = candidates[-1].parent
        self.dir = root / "pg"
        self.data = self.dir / "data"
        self.port = free_port()
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)

    def init(self) -> None:
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            self.dir.parent.chmod(0o755)
        done = self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        if done.returncode != 0:
            raise SystemExit(f"chaos: initdb failed: {done.stderr}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
            " -c fsync=off -c synchronous_commit=off"  # a killed process loses nothing the OS holds
        )
        for _ in range(30):  # after a SIGKILL the old backends may hold shared memory a moment
            done = self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", options, "-w", "start"
            )
            if done.returncode == 0:
                return
            time.sleep(1)
        raise SystemExit(f"chaos: PostgreSQL did not start: {done.stdout} {done.stderr}")

    def kill(self) -> None:
        pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", timeout=60)


# -- own RabbitMQ node ----------------------------------------------------------------------------------
class OwnRabbit:
    """A second RabbitMQ node of its own (name, ports, mnesia, logs, no plugins) in the temp dir."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "rabbit"
        self.port, self.dist_port = free_port(), free_port()
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.node = f"sifenflow-chaos-{uuid.uuid4().hex[:8]}@localhost"
        self.proc: subprocess.Popen[bytes] | None = None
        server = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
        self.server = (
            str(server) if server.exists() else (shutil.which("rabbitmq-server") or "rabbitmq-server")
        )

    def init(self) -> None:
        for sub in ("home", "mnesia", "log"):
            (self.dir / sub).mkdir(parents=True)
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\nloopback_users = none\n"
        )
        (self.dir / "enabled_plugins").write_text("[].\n")  # management plugin off
        (self.dir / "rabbitmq-env.conf").write_text("")  # not the machine's (its NODENAME, its port)

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.dir / "home"),  # its own Erlang cookie
            "RABBITMQ_CONF_ENV_FILE": str(self.dir / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    def _launch(self) -> subprocess.Popen[bytes]:
        out = (self.dir / "server.out").open("ab")
        return subprocess.Popen(
            [self.server], env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    async def start(self) -> None:
        self.proc = self._launch()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"chaos: RabbitMQ exited; see {self.dir / 'server.out'}")
            with contextlib.suppress(OSError, aio_pika.exceptions.AMQPError, asyncio.TimeoutError):
                connection = await aio_pika.connect(self.url, timeout=2)
                await connection.close()
                return
            await asyncio.sleep(0.5)
        raise SystemExit("chaos: RabbitMQ did not start within 120 s")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(30)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)
        self.kill(signal.SIGKILL)


# -- the load ---------------------------------------------------------------------------------------------
@dataclass
class Load:
    stack: Stack
    sent: int = 0
    acknowledged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    async def post_lotes(self, session: aiohttp.ClientSession, documents: int) -> None:
        """``documents`` documents in lotes of 50; a lote is retried with its Idempotency-Key until
        the gateway answers (a retry never creates a document twice)."""
        lotes = [min(LOTE_SIZE, documents - i) for i in range(0, documents, LOTE_SIZE)]
        queue: asyncio.Queue[int] = asyncio.Queue()
        for size in lotes:
            queue.put_nowait(size)

        async def poster() -> None:
            while not queue.empty():
                await self._post_one(session, queue.get_nowait())

        await asyncio.gather(*(poster() for _ in range(POSTERS)))

    async def _post_one(self, session: aiohttp.ClientSession, size: int) -> None:
        tenant = self.stack.tenants[DEMO_SLUG]
        headers = {**bearer(tenant), "Idempotency-Key": str(uuid.uuid4())}
        body = [demo_invoice() for _ in range(size)]
        self.sent += size
        while True:
            try:
                async with session.post(
                    f"{self.stack.url}/{tenant.slug}/lote/create", json=body, headers=headers
                ) as response:
                    if response.status == 200:
                        self.acknowledged += [d["cdc"] for d in (await response.json())["deList"]]
                        return
                    if response.status < 500 and response.status != 429:
                        self.refused.append(f"{response.status} {(await response.text())[:200]}")
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(1)


async def _fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record] | None:
    """A query on the drill's database, None while it is down."""
    try:
        connection = await asyncpg.connect(dsn, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return None
    try:
        return list(await connection.fetch(sql, *args))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return None
    finally:
        with contextlib.suppress(Exception):
            await connection.close()


async def final_count(stack: Stack) -> int | None:
    rows = await _fetch(
        stack.database_url,
        "SELECT count(*) AS n FROM document_status WHERE status = ANY($1::text[])",
        list(TERMINAL),
    )
    return None if rows is None else int(rows[0]["n"])


async def wait_settled(stack: Stack, load: Load, within_s: float, stuck_before: int = 0) -> float | None:
    """Seconds until every acknowledged document but the ``stuck_before`` an earlier fault left
    behind has a final status in the read model; None when that does not happen ``within_s``."""
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        final = await final_count(stack)
        if final is not None and final >= len(load.acknowledged) - stuck_before:
            return time.monotonic() - started
        await asyncio.sleep(0.5)
    return None


# -- faults ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[], Awaitable[None]]  # returns once the fault is over (process restarted)


def _restart(stack: Stack, proc: subprocess.Popen[bytes], env: dict[str, str]) -> subprocess.Popen[bytes]:
    assert stack.logs is not None
    new = _spawn(list(proc.args), env, stack.logs / "stack.log")  # type: ignore[arg-type]
    stack.processes[stack.processes.index(proc)] = new
    for copies in stack.replicas.values():
        if proc in copies:
            copies[copies.index(proc)] = new
    return new


def kill_worker(stack: Stack, service: str) -> Callable[[], Awaitable[None]]:
    async def inject() -> None:
        proc = stack.replicas[service][0]
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait)
        await asyncio.sleep(DOWN_S)
        # the gateway comes back where clients reach it; a worker's health port can be any
        port = urlparse(stack.url).port if service == "gateway" else free_port()
        _restart(stack, proc, {**stack.env, "HTTP_PORT": str(port)})

    return inject


def kill_simulator(stack: Stack) -> Callable[[], Awaitable[None]]:
    async def inject() -> None:
        proc = stack.processes[0]  # the stack starts the simulator first
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait)
        await asyncio.sleep(DOWN_S)
        _restart(stack, proc, stack.env)

    return inject


def kill_broker(rabbit: OwnRabbit) -> Callable[[], Awaitable[None]]:
    async def inject() -> None:
        await asyncio.to_thread(rabbit.kill)
        await asyncio.sleep(DOWN_S)
        await rabbit.start()

    return inject


def kill_database(pg: OwnPostgres) -> Callable[[], Awaitable[None]]:
    async def inject() -> None:
        pg.kill()
        await asyncio.sleep(DOWN_S)
        await asyncio.to_thread(pg.start)

    return inject


def sifen_fault(stack: Stack, rules: list[dict[str, Any]]) -> Callable[[], Awaitable[None]]:
    async def inject() -> None:
        async with (
            aiohttp.ClientSession() as session,
            session.put(
                f"{stack.sim_url}/admin/faults", json={"seed": 7, "rules": rules}, headers=stack.sim_admin
            ) as r,
        ):
            if r.status != 200:
                raise SystemExit(f"chaos: the simulator refused the fault plan: {r.status} {await r.text()}")

    return inject


def faults(stack: Stack, pg: OwnPostgres, rabbit: OwnRabbit) -> list[Fault]:
    lote = ["rEnvioLote"]
    return [
        *(Fault(f"kill -9 {w}", kill_worker(stack, w)) for w in ("store", "builder", "signer", "sender")),
        Fault("kill -9 gateway", kill_worker(stack, "gateway")),
        Fault("kill -9 broker", kill_broker(rabbit)),
        Fault("kill -9 postgres", kill_database(pg)),
        Fault("kill -9 simulator", kill_simulator(stack)),
        Fault("SIFEN 503 ×6", sifen_fault(stack, [{"kind": "http_503", "operations": lote, "count": 6}])),
        Fault(
            f"SIFEN latency {SENDER_READ_TIMEOUT_S + 5} s (> read timeout)",
            sifen_fault(
                stack,
                [
                    {
                        "kind": "latency",
                        "operations": lote,
                        "count": 1,
                        "latency_ms": (SENDER_READ_TIMEOUT_S + 5) * 1000,
                    }
                ],
            ),
        ),
        Fault("SIFEN 0301 ×3", sifen_fault(stack, [{"kind": "lote_no_encolado", "count": 3}])),
    ]


# -- the report -----------------------------------------------------------------------------------------
@dataclass
class Report:
    sent: int
    acknowledged: int
    approved: int = 0
    rejected: int = 0
    lost: int = 0
    sent_twice: int = 0
    duplicate_answers: int = 0
    gaps: int = 0
    gaps_explained: int = 0
    parked_messages: int = 0
    parked_events: int = 0
    refused: int = 0
    recovery: list[tuple[str, float | None]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        unexplained = self.gaps - self.gaps_explained
        return self.lost == 0 and self.sent_twice == 0 and self.duplicate_answers == 0 and unexplained == 0

    def render(self) -> str:
        lines = [
            "",
            "resultado del simulacro de fallas (chaos)",
            f"  enviados (sent)                 {self.sent}",
            f"  aceptados (acknowledged)        {self.acknowledged}",
            f"  aprobados (approved)            {self.approved}",
            f"  rechazados (rejected)           {self.rejected}",
            f"  perdidos (lost)                 {self.lost}",
            f"  CDC enviados dos veces          {self.sent_twice}"
            f" (respuestas 1001/1002: {self.duplicate_answers})",
            f"  huecos de numeración (gaps)     {self.gaps} ({self.gaps_explained} inutilizados, "
            f"{self.gaps - self.gaps_explained} sin explicar)",
            f"  mensajes estacionados (parked)  {self.parked_messages}",
            f"  eventos apartados (proyección)  {self.parked_events}",
            f"  solicitudes rechazadas (4xx)    {self.refused}",
            "  recuperación por falla (recovery):",
        ]
        for name, seconds in self.recovery:
            lines.append(f"    {name:<40} {'NO SE RECUPERÓ' if seconds is None else f'{seconds:6.1f} s'}")
        lines.append(f"  resultado: {'OK' if self.ok else 'FALLAS ENCONTRADAS'}")
        return "\n".join(lines)


async def measure(stack: Stack, load: Load, sim_db: Path, report: Report) -> None:
    dsn = stack.database_url
    statuses = await _fetch(dsn, "SELECT status, count(*) AS n FROM document_status GROUP BY status") or []
    counts = {r["status"]: int(r["n"]) for r in statuses}
    report.approved = counts.get("approved", 0) + counts.get("approved_with_observation", 0)
    report.rejected = counts.get("rejected", 0)
    final = (
        await _fetch(dsn, "SELECT cdc FROM document_status WHERE status = ANY($1::text[])", list(TERMINAL))
        or []
    )
    report.lost = len(set(load.acknowledged) - {r["cdc"] for r in final})
    with sqlite3.connect(f"file:{sim_db}?mode=ro", uri=True) as db:
        report.sent_twice = len(
            db.execute("SELECT cdc FROM lote_items GROUP BY cdc HAVING count(*) > 1").fetchall()
        )
        report.duplicate_answers = int(
            db.execute(
                "SELECT (SELECT count(*) FROM lote_items WHERE code IN ('1001', '1002'))"
                " + (SELECT count(*) FROM documents WHERE code IN ('1001', '1002'))"
            ).fetchone()[0]
        )
    series = (
        await _fetch(
            dsn,
            "SELECT tipo_documento, timbrado, establecimiento, punto, array_agg(numero) AS numbers"
            " FROM gateway_documents GROUP BY 1, 2, 3, 4",
        )
        or []
    )
    voided = await _fetch(dsn, "SELECT data FROM events WHERE type = 'range.voided'") or []
    for row in series:
        numbers = set(row["numbers"])
        missing = set(range(1, max(numbers) + 1)) - numbers
        report.gaps += len(missing)
        for event in voided:
            data = event["data"] if isinstance(event["data"], dict) else json.loads(event["data"])
            report.gaps_explained += len({n for n in missing if int(data["first"]) <= n <= int(data["last"])})
    parked = await _fetch(dsn, "SELECT count(*) AS n FROM projection_parked_events WHERE replayed_at IS NULL")
    report.parked_events = int(parked[0]["n"]) if parked else -1
    connection = await aio_pika.connect(stack.env["AMQP_URL"])
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(stack.prefix + PARKING_QUEUE, passive=True)
        report.parked_messages = int(queue.declaration_result.message_count or 0)


# -- the drill ------------------------------------------------------------------------------------------
async def drill(root: Path, documents: int, only: list[str]) -> Report:
    pg, rabbit = OwnPostgres(root), OwnRabbit(root)
    log(f"PostgreSQL propio en 127.0.0.1:{pg.port}")
    log(f"RabbitMQ propio ({rabbit.node}) en 127.0.0.1:{rabbit.port}")
    pg.init()
    pg.start()
    rabbit.init()
    try:
        await rabbit.start()
        (root / "sim").mkdir()
        env = {
            **BENCH_ENV,
            "SHUTDOWN_TIMEOUT_S": "10",
            "DB_POOL_MAX": "6",
            "LOG_LEVEL": "WARNING",
            # the store's recovery sweep with drill-sized thresholds (production: 300 s / 900 s), so
            # what a kill leaves waiting is re-driven within the drill
            "RECOVERY_INTERVAL_S": "5",
            "RECOVERY_AFTER_S": "20",
        }
        async with processes_stack(
            root / "stack",
            name="chaos",
            sim_data_dir=root / "sim",
            extra_env=env,
            pg_admin_dsn=pg.dsn,
            amqp_url=rabbit.url,
        ) as stack:
            log(f"stack arriba: gateway {stack.url}, simulador {stack.sim_url}, registros en {stack.logs}")
            load = Load(stack)
            plan = [f for f in faults(stack, pg, rabbit) if not only or any(o in f.name for o in only)]
            report = Report(sent=0, acknowledged=0)
            per_phase = max(LOTE_SIZE, documents // len(plan))
            timeout = aiohttp.ClientTimeout(total=120)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                stuck = 0  # documents earlier faults left without a final status
                for index, fault in enumerate(plan):
                    count = per_phase if index < len(plan) - 1 else max(LOTE_SIZE, documents - load.sent)
                    posting = asyncio.create_task(load.post_lotes(session, count))
                    await asyncio.sleep(1.5)  # documents are flowing through every stage
                    log(f"falla: {fault.name} ({count} documentos en curso)")
                    await fault.inject()
                    restored = time.monotonic()
                    await posting
                    recovered = await wait_settled(stack, load, PHASE_TIMEOUT_S, stuck)
                    seconds = None if recovered is None else time.monotonic() - restored
                    stuck = len(load.acknowledged) - (await final_count(stack) or 0)
                    report.recovery.append((fault.name, seconds))
                    log(f"  {fault.name}: {'sin recuperar' if seconds is None else f'{seconds:.1f} s'}")
            await wait_settled(stack, load, 60)  # a last chance for what earlier faults left behind
            report.sent, report.acknowledged, report.refused = (
                load.sent,
                len(load.acknowledged),
                len(load.refused),
            )
            await measure(stack, load, root / "sim" / "sim.sqlite3", report)
            for refusal in load.refused[:5]:
                log(f"solicitud rechazada: {refusal}")
            return report
    finally:
        rabbit.stop()
        pg.stop()


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("aio_pika", "aiormq"):  # every probe of a broker that is down logs an error
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=2000, help="documents to push (default 2000)")
    parser.add_argument(
        "--only", action="append", default=[], help="only the faults whose name contains this (repeatable)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, data)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sifenflow-chaos-"))
    started = time.monotonic()
    try:
        report = asyncio.run(drill(root, args.documents, args.only))
    finally:
        if args.keep:
            log(f"directorio conservado: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(report.render())
    print(f"  duración total: {time.monotonic() - started:.0f} s", flush=True)
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
