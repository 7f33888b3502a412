"""Starting the whole pipeline for e2e tests, in two shapes:

- ``processes``: every service its own process (``sifenflow serve gateway|store|builder|signer|
  sender`` and ``sifenflow sim``) on the real PostgreSQL (a fresh database) and RabbitMQ (a fresh
  queue prefix) of this machine;
- ``standalone``: ``sifenflow run`` (embedded PostgreSQL, in-process bus, simulator in-process).

Both are driven only over HTTP, like a user would.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import asyncpg

from sifenflow_common.bus.rabbit import PARKING_QUEUE
from sifenflow_common.bus.topology import RetryPolicy, Topology
from sifenflow_common.sifen.test_ca import ensure_test_ca
from sifenflow_common.testing import eventually
from sifenflow_common.testing.ports import free_port
from sifenflow_standalone.demo import DEMO_RUC, DEMO_SLUG, demo_tenant_body, simulator_entry

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
WORKERS = ("store", "builder", "signer", "sender")
# Queues the workers declare (service → types), deleted after the run with their retry queues.
SUBSCRIPTIONS = {
    "builder": ("document.requested",),
    "signer": ("document.built", "sifen_event.requested"),
    "sender": (
        "document.signed",
        "lote.submission_started",
        "lote.poll",
        "lote.reconcile",
        "sifen_event.signed",
    ),
}
RETRY = RetryPolicy(max_attempts=5, base_delay_ms=200, backoff=4.0)
# the second company of every stack (one environment takes each RUC once); it only reads
OTHER_RUC = "80002201-7"
SIM_PUNTOS = {"001": ["001"]}  # the simulator knows punto 001 only: punto 002 is rejected (1106)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "sifenflow_cli.main", *args]


@dataclass
class Tenant:
    slug: str
    api_key: str


@dataclass
class Stack:
    mode: str
    url: str
    sim_url: str
    master_key: str
    ca_dir: Path
    tenants: dict[str, Tenant] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: Path | None = None
    database_url: str = ""
    env: dict[str, str] = field(default_factory=dict)  # processes shape: what every process got
    prefix: str = ""  # processes shape: the run's bus prefix
    urls: list[str] = field(default_factory=list)  # processes shape: every gateway replica
    replicas: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)  # service → copies
    sim_admin_token: str = ""  # the simulator's admin API always requires it

    @property
    def sim_admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.sim_admin_token}"}


# The benchmark posts thousands of documents with one key: lift the per-key rate limit.
BENCH_ENV = {"RATE_LIMIT_PER_SECOND": "100000", "RATE_LIMIT_BURST": "100000"}
# On one shared machine the background workers yield the CPU to the gateway (operations.md), and the
# simulator, which stands for SIFEN's own servers, runs at the workers' priority.
BENCH_WORKER_NICE = 10


def _spawn(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(args, env=dict(env), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


async def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(processes):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in reversed(processes):
        try:
            await asyncio.to_thread(proc.wait, 20)
        except subprocess.TimeoutExpired:
            proc.kill()
            await asyncio.to_thread(proc.wait)


async def _http_ok(
    session: aiohttp.ClientSession, url: str, processes: list[subprocess.Popen[bytes]]
) -> bool:
    dead = [p.args for p in processes if p.poll() is not None]
    assert not dead, f"process exited: {dead}"
    try:
        async with session.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


async def provision(stack: Stack, session: aiohttp.ClientSession, *, create_demo: bool) -> None:
    """Tenants through the admin API (master key), then the demo taxpayer in the simulator."""
    admin = {"Authorization": f"Bearer {stack.master_key}"}
    ca = ensure_test_ca(stack.ca_dir)
    slugs = ["otra"] if not create_demo else [DEMO_SLUG, "otra"]
    for slug in slugs:
        async with session.post(
            f"{stack.url}/admin/tenants",
            json=demo_tenant_body(ca, slug=slug, ruc=DEMO_RUC if slug == DEMO_SLUG else OTHER_RUC),
            headers=admin,
        ) as r:
            assert r.status == 201, await r.text()
            tenant_id = (await r.json())["result"]["id"]
        async with session.post(
            f"{stack.url}/admin/tenants/{tenant_id}/apikeys", json={"role": "admin"}, headers=admin
        ) as r:
            assert r.status == 201, await r.text()
            stack.tenants[slug] = Tenant(slug, (await r.json())["result"]["token"])
    # after the tenants, whose creation registers them in the simulator with every punto: the demo
    # taxpayer is known there with punto 001 only
    entry = dict(simulator_entry())
    entry["timbrados"] = [dict(t, establecimientos=SIM_PUNTOS) for t in entry["timbrados"]]
    async with session.post(
        f"{stack.sim_url}/admin/contribuyentes", json=entry, headers=stack.sim_admin
    ) as response:
        assert response.status == 201, await response.text()


async def delete_topology(
    prefix: str, subscriptions: Mapping[str, tuple[str, ...]] = SUBSCRIPTIONS, amqp_url: str = AMQP_URL
) -> None:
    """Remove this run's queues and exchanges from the shared broker."""
    topology = Topology(prefix)
    names = [prefix + PARKING_QUEUE]
    for service, types in subscriptions.items():
        for message_type in types:
            queue = topology.queue(service, message_type)
            names += [queue, *(topology.retry_queue(queue, d) for d in set(RETRY.delays_ms()))]
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in names:
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.queue_delete(name)
        for exchange in (topology.events_exchange, topology.commands_exchange):
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.exchange_delete(exchange)


@contextlib.asynccontextmanager
async def processes_stack(
    tmp: Path,
    *,
    bench: bool = False,
    name: str = "pipeline",
    workers: tuple[str, ...] = WORKERS,
    subscriptions: Mapping[str, tuple[str, ...]] = SUBSCRIPTIONS,
    extra_env: Mapping[str, str] | None = None,
    after_provision: Callable[[Stack, aiohttp.ClientSession], Awaitable[None]] | None = None,
    replicas: int = 1,
    sim_data_dir: Path | None = None,
    pg_admin_dsn: str = PG_ADMIN_DSN,
    amqp_url: str = AMQP_URL,
) -> AsyncIterator[Stack]:
    """Every service in its own process (``replicas`` copies of each but the simulator, which keeps
    its state in ``sim_data_dir`` when given); other suites add workers, settings and tenants.
    ``pg_admin_dsn`` / ``amqp_url``: another PostgreSQL and RabbitMQ (the fault drill's own)."""
    suffix = uuid.uuid4().hex[:10]
    prefix = f"{name}-e2e-{suffix}."
    database = f"{name}_e2e_{suffix}"
    admin = await asyncpg.connect(pg_admin_dsn)
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    gateway_ports, sim_port = [free_port() for _ in range(replicas)], free_port()
    gateway_port = gateway_ports[0]
    stack = Stack(
        mode="processes",
        url=f"http://127.0.0.1:{gateway_port}",
        sim_url=f"http://127.0.0.1:{sim_port}",
        master_key=secrets.token_urlsafe(24),
        ca_dir=tmp / "test-ca",
        logs=tmp / "logs",
        urls=[f"http://127.0.0.1:{port}" for port in gateway_ports],
        sim_admin_token=secrets.token_urlsafe(24),
    )
    stack.logs.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
    env = {
        **os.environ,
        "DATABASE_URL": pg_admin_dsn.rsplit("/", 1)[0] + f"/{database}",
        "AMQP_URL": amqp_url,
        "BUS_PREFIX": prefix,
        "MASTER_KEY": stack.master_key,
        "SIFENFLOW_TEST_CA_DIR": str(stack.ca_dir),
        "LOG_LEVEL": "WARNING" if bench else "INFO",  # the e2e suite reads the log lines
        "HTTP_PORT": "0",
        # five processes share the machine's PostgreSQL (max_connections 100) with other test runs
        "DB_POOL_MAX": "6",
        "RETRY_MAX_ATTEMPTS": str(RETRY.max_attempts),
        "RETRY_BASE_DELAY_MS": str(RETRY.base_delay_ms),
        "RETRY_BACKOFF": str(RETRY.backoff),
        "POLL_INTERVAL_S": "0.2",
        "SIM_BASE_URL": stack.sim_url,
        # the simulator answers at once: poll it sooner than the real SIFEN (SimulatorSenderSettings)
        "SENDER_FIRST_POLL_S": "0.5",
        "SENDER_POLL_BACKOFF": "1.5",
        "SENDER_POLL_MAX_S": "5",
        # give up on an answer after 10 s and reconcile 12 s later, as SimulatorSenderSettings
        "SENDER_SIFEN_READ_TIMEOUT_S": "10",
        "SENDER_RECONCILE_PAUSE_S": "12",
        "SIFEN_SIM_ADMIN_TOKEN": stack.sim_admin_token,
        **(BENCH_ENV if bench else {}),
        **(extra_env or {}),
    }
    stack.database_url, stack.env, stack.prefix = env["DATABASE_URL"], env, prefix
    try:
        migrate = await asyncio.to_thread(subprocess.run, cli("db", "migrate"), env=env, capture_output=True)
        assert migrate.returncode == 0, migrate.stderr.decode()
        log = stack.logs / "stack.log"  # type: ignore[operator]
        sim = cli("sim", "--port", str(sim_port), "--test-ca-dir", str(stack.ca_dir))
        if sim_data_dir is not None:
            sim += ["--data-dir", str(sim_data_dir)]
        if bench:
            sim = ["nice", "-n", str(BENCH_WORKER_NICE), *sim]
        stack.processes.append(_spawn(sim, env, log))
        # Each process gets its own port, chosen here; the workers' /readyz says their queues are
        # declared and consumed, so nothing the gateway publishes afterwards is unroutable.
        health = [(worker, free_port()) for worker in workers for _ in range(replicas)]
        for worker, port in health:
            worker_env = {**env, "HTTP_PORT": str(port)}
            if bench:
                worker_env["CPU_NICE"] = str(BENCH_WORKER_NICE)
            proc = _spawn(cli("serve", worker), worker_env, log)
            stack.processes.append(proc)
            stack.replicas.setdefault(worker, []).append(proc)
        for port in gateway_ports:
            proc = _spawn(cli("serve", "gateway"), {**env, "HTTP_PORT": str(port)}, log)
            stack.processes.append(proc)
            stack.replicas.setdefault("gateway", []).append(proc)
        async with aiohttp.ClientSession() as session:
            urls = [f"{stack.sim_url}/admin/health", *(f"{url}/test" for url in stack.urls)]
            urls += [f"http://127.0.0.1:{port}/readyz" for _, port in health]
            for url in urls:
                await eventually(partial(_http_ok, session, url, stack.processes), 40, 0.2)
            await provision(stack, session, create_demo=True)
            if after_provision is not None:
                await after_provision(stack, session)
        yield stack
    finally:
        await _stop(stack.processes)
        await delete_topology(prefix, subscriptions, amqp_url)
        admin = await asyncpg.connect(pg_admin_dsn)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def _data_dir() -> Path:
    """The embedded PostgreSQL runs as its own system user, so its cluster cannot live under pytest's
    basetemp: every pytest session started on the machine resets /tmp/pytest-of-<user> to mode 0700."""
    data_dir = Path(tempfile.mkdtemp(prefix="sifenflow-run-"))
    data_dir.chmod(0o755)
    return data_dir


@contextlib.asynccontextmanager
async def standalone_stack(
    tmp: Path, *, bench: bool = False, extra_env: Mapping[str, str] | None = None
) -> AsyncIterator[Stack]:
    gateway_port, sim_port = free_port(), free_port()
    data_dir = _data_dir()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "AMQP_URL", "MASTER_KEY")}
    env.update(BENCH_ENV if bench else {})
    env["LOG_LEVEL"] = "WARNING" if bench else "INFO"  # the e2e suite reads the log lines
    env.update(extra_env or {})
    log = tmp / "run.log"
    proc = _spawn(
        cli(
            *("run", "--port", str(gateway_port), "--sim-port", str(sim_port), "--data-dir", str(data_dir)),
            *(("--skip", "kude") if bench else ()),
        ),
        env,
        log,
    )
    stack = Stack(
        mode="standalone",
        url=f"http://127.0.0.1:{gateway_port}",
        sim_url=f"http://127.0.0.1:{sim_port}",
        master_key="",
        ca_dir=data_dir / "test-ca",
        processes=[proc],
        logs=tmp,
    )
    try:

        def banner_key() -> str:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            found = re.search(r"API key:\s+(\S+)", log.read_text(errors="replace"))
            assert found, "waiting for the banner"
            return found.group(1)

        api_key = await eventually(banner_key, 90, 0.2)
        stack.tenants[DEMO_SLUG] = Tenant(DEMO_SLUG, api_key)
        stack.master_key = (data_dir / "master_key").read_text().strip()
        stack.sim_admin_token = (data_dir / "sim" / "admin_token").read_text().strip()
        async with aiohttp.ClientSession() as session:
            await provision(stack, session, create_demo=False)
        yield stack
    finally:
        await _stop(stack.processes)
        shutil.rmtree(data_dir, ignore_errors=True)


def bearer(tenant: Tenant) -> dict[str, str]:
    return {"Authorization": f"Bearer {tenant.api_key}"}


async def statuses(
    session: aiohttp.ClientSession, stack: Stack, tenant: Tenant, cdcs: list[str]
) -> dict[str, dict[str, Any]]:
    async with session.post(
        f"{stack.url}/{tenant.slug}/de/estado",
        json={"cdcList": [{"cdc": c} for c in cdcs]},
        headers=bearer(tenant),
    ) as response:
        assert response.status == 200, await response.text()
        body = await response.json()
    return {d["cdc"]: d for d in body["deList"]}
