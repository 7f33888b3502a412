"""``sifenflow run``: every service in one process.

Postgres: DATABASE_URL, else an embedded cluster under ``.sifenflow/pg``. Bus: AMQP_URL, else the
in-process bus. Also the SIFEN simulator (in-process, on its own port), and a demo emisor whose
certificate comes from the local test CA, registered in the simulator. Services share one pool,
one event store and one bus; each still runs through ``ServiceRuntime`` with its own handler table.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import shlex
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web
from pydantic import SecretStr

from sifenflow_builder.service import build as build_builder
from sifenflow_common.crypto import SecretBox
from sifenflow_common.db.migrate import migrate_dsn
from sifenflow_common.runtime.http_server import JsonErrorAppRunner
from sifenflow_common.runtime.logging import configure_logging
from sifenflow_common.runtime.memory import freeze_startup_heap
from sifenflow_common.runtime.service import ServiceDeps, ServiceRuntime, open_deps
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.sifen.test_ca import ensure_test_ca
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Role, Tenant
from sifenflow_common.tenants.repository import ApiKeyRepository, TenantRepository
from sifenflow_common.users.repository import SIGN_IN, UserRepository
from sifenflow_console.app import mount as mount_console
from sifenflow_gateway.app import create_app, postgres_deps
from sifenflow_gateway.settings import GatewaySettings
from sifenflow_sender.config import SimulatorSenderSettings
from sifenflow_sender.service import MIN_PREFETCH
from sifenflow_sender.service import build as build_sender
from sifenflow_sifen_sim.admin_token import TOKEN_FILE
from sifenflow_sifen_sim.app import Simulator
from sifenflow_sifen_sim.app import create_app as create_sim_app
from sifenflow_sifen_sim.registry import contribuyente_from_dict
from sifenflow_sifen_sim.settings import SimSettings
from sifenflow_signer.service import build as build_signer
from sifenflow_standalone.demo import DEMO_ADMIN_EMAIL, DEMO_SLUG, demo_tenant_body, simulator_entry
from sifenflow_standalone.embedded import embedded_database_url, persistent_master_key
from sifenflow_store.service import build as build_store

Build = Callable[[Settings, ServiceDeps], Any]
OPTIONAL_SERVICES = ("kude", "mailer", "notifier")  # joined when their package offers ``build``


@dataclass(frozen=True, slots=True)
class StandaloneConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    sim_port: int = 8091
    data_dir: Path = Path(".sifenflow")
    skip: frozenset[str] = frozenset()  # optional services left out (e.g. kude for a benchmark)


@dataclass
class Running:
    gateway_url: str
    sim_url: str
    api_key: str
    tenant: Tenant
    database_external: bool
    bus_external: bool
    services: list[str]
    data_dir: Path = Path(".sifenflow")
    signin_link: str = ""  # one-time sign-in of the demo admin user
    master_key_from_env: bool = False  # MASTER_KEY was given; otherwise it lives in data_dir/master_key
    _cleanup: list[Callable[[], Any]] = field(default_factory=list)

    async def stop(self) -> None:
        for step in reversed(self._cleanup):
            with contextlib.suppress(Exception):
                result = step()
                if asyncio.iscoroutine(result):
                    await result
        self._cleanup.clear()


def _optional_builds(skip: frozenset[str]) -> list[tuple[str, Build]]:
    found: list[tuple[str, Build]] = []
    for name in OPTIONAL_SERVICES:
        if name in skip:
            continue
        try:
            module = importlib.import_module(f"sifenflow_{name}.service")
        except ModuleNotFoundError:
            continue
        build = getattr(module, "build", None)
        if callable(build):
            found.append((name, build))
    return found


async def _serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = JsonErrorAppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def ensure_demo_tenant(
    pool: asyncpg.Pool, box: SecretBox, sim_url: str, ca_dir: Path
) -> tuple[Tenant, str]:
    """The demo emisor (created once) and a new admin API key for it (shown once)."""
    tenants = TenantRepository(pool, box, sim_url)
    tenant = await tenants.get_by_slug(DEMO_SLUG)
    if tenant is None:
        data, issues = parse_tenant_input(demo_tenant_body(ensure_test_ca(ca_dir)))
        if data is None:
            raise RuntimeError(f"demo tenant invalid: {issues}")
        tenant = await tenants.create(data)
    elif tenant.sifen_base_url != sim_url:  # the simulator moved to another port since last run
        await pool.execute("UPDATE tenants SET sifen_base_url = $1 WHERE id = $2", sim_url, tenant.id)
        tenant = await tenants.get(tenant.id) or tenant
    _, token = await ApiKeyRepository(pool).create(tenant.id, Role.ADMIN, "sifenflow run")
    return tenant, token


async def demo_signin_link(pool: asyncpg.Pool, tenant: Tenant, gateway_url: str, ttl: timedelta) -> str:
    """A new one-time sign-in link for the demo admin user (created once, admin of the demo company)."""
    users = UserRepository(pool)
    user = await users.ensure(DEMO_ADMIN_EMAIL, "Administrador demo")
    await users.set_role(user.id, tenant.id, Role.ADMIN)
    token, _ = await users.create_link(SIGN_IN, user.email, ttl)
    return f"{gateway_url}/auth/enlace/{token}"


async def start(settings: Settings, config: StandaloneConfig) -> Running:
    data_dir = config.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    external_db = bool(settings.database_url)
    dsn = settings.database_url or await embedded_database_url(data_dir)
    master = (
        settings.master_key.get_secret_value() if settings.master_key else persistent_master_key(data_dir)
    )
    await migrate_dsn(dsn)
    shared = settings.model_copy(
        update={
            "database_url": dsn,
            "master_key": SecretStr(master),
            "http_port": 0,
            "prefetch": max(settings.prefetch, MIN_PREFETCH),  # lotes of 50 need 50 deliveries in flight
        }
    )
    cleanup: list[Callable[[], Any]] = []
    try:
        deps_cm = open_deps(shared.model_copy(update={"service_name": "standalone"}))
        deps = await deps_cm.__aenter__()
        cleanup.append(lambda: deps_cm.__aexit__(None, None, None))
        assert deps.pool is not None

        ca_dir = data_dir / "test-ca"
        sim_settings = SimSettings(
            host=config.host, port=config.sim_port, data_dir=data_dir / "sim", test_ca_dir=ca_dir
        )
        simulator = Simulator(sim_settings)
        simulator.registry.put(contribuyente_from_dict(simulator_entry()))
        simulator.store.save_contribuyente(contribuyente_from_dict(simulator_entry()))
        await simulator.start()
        cleanup.append(simulator.stop)
        sim_runner = await _serve(create_sim_app(sim_settings, simulator), config.host, config.sim_port)
        cleanup.append(sim_runner.cleanup)
        sim_url = f"http://{config.host}:{config.sim_port}"

        tenant, api_key = await ensure_demo_tenant(deps.pool, SecretBox([master]), sim_url, ca_dir)

        builds: list[tuple[str, Build]] = [
            ("store", build_store),
            ("builder", build_builder),
            ("signer", build_signer),
            ("sender", partial(build_sender, config=SimulatorSenderSettings().sender_config())),
            *_optional_builds(config.skip),
        ]
        for name, build in builds:
            runtime = ServiceRuntime(shared.model_copy(update={"service_name": name}), build, deps)
            await runtime.start()
            cleanup.append(runtime.shutdown)

        gateway_url = f"http://{config.host}:{config.port}"
        gw_settings = GatewaySettings(
            **{
                **shared.model_dump(),
                "service_name": "gateway",
                "http_host": config.host,
                "http_port": config.port,
                "sim_base_url": sim_url,
                "public_url": gateway_url,
                "signin_link_base": f"{gateway_url}/consola/ingreso/",  # mailed links open the console
                # new simulado companies: test certificates from this CA, registered in this simulator
                "test_ca_dir": ca_dir,
                "sifen_sim_admin_token": simulator.admin_token,
            }
        )
        gw_app = create_app(gw_settings, postgres_deps(deps.pool, gw_settings))
        mount_console(gw_app, gateway_url)  # same origin as the API: the session cookies are shared
        gw_runner = await _serve(gw_app, config.host, config.port)
        cleanup.append(gw_runner.cleanup)
        ttl = timedelta(minutes=gw_settings.signin_link_ttl_minutes)
        signin_link = await demo_signin_link(deps.pool, tenant, gateway_url, ttl)
    except BaseException:
        await Running("", "", "", None, False, False, [], _cleanup=cleanup).stop()  # type: ignore[arg-type]
        raise
    return Running(
        gateway_url=gateway_url,
        sim_url=sim_url,
        api_key=api_key,
        tenant=tenant,
        database_external=external_db,
        bus_external=bool(settings.amqp_url),
        services=["gateway", *(name for name, _ in builds), "sifen-sim"],
        data_dir=data_dir,
        signin_link=signin_link,
        master_key_from_env=settings.master_key is not None,
        _cleanup=cleanup,
    )


def console_link(signin_link: str) -> str:
    """The printed one-time link opens in the console, which confirms it and lands on the dashboard."""
    base, token = signin_link.rsplit("/auth/enlace/", 1)
    return f"{base}/consola/ingreso/{token}"


def banner(running: Running) -> str:
    body = '{"tipoDocumento":1,"establecimiento":"001","punto":"001","tipoEmision":1,"tipoTransaccion":1,'
    body += '"tipoImpuesto":1,"moneda":"PYG","cliente":{"contribuyente":true,"ruc":"80069563-1",'
    body += '"razonSocial":"Cliente de prueba SA","tipoOperacion":1,"tipoContribuyente":2,"pais":"PRY",'
    body += '"paisDescripcion":"Paraguay"},"factura":{"presencia":1},"condicion":{"tipo":1,"entregas":'
    body += '[{"tipo":1,"monto":110000,"moneda":"PYG"}]},"items":[{"codigo":"SRV-1","descripcion":'
    body += '"Servicio de soporte","unidadMedida":77,"cantidad":1,"precioUnitario":110000,"ivaTipo":1,'
    body += '"ivaBase":100,"iva":10}]}'
    slug = running.tenant.slug
    curl = (
        f"curl -s -X POST {running.gateway_url}/{slug}/de/create "
        f"-H {shlex.quote('Authorization: Bearer ' + running.api_key)} "
        f"-H 'Content-Type: application/json' -d {shlex.quote(body)}"
    )
    db = "DATABASE_URL" if running.database_external else f"PostgreSQL embebido ({running.data_dir / 'pg'})"
    bus = "RabbitMQ (AMQP_URL)" if running.bus_external else "bus en proceso"
    master = "variable MASTER_KEY" if running.master_key_from_env else str(running.data_dir / "master_key")
    return "\n".join(
        [
            "sifenflow listo: " + ", ".join(running.services),
            f"  API:          {running.gateway_url}   (documentación: {running.gateway_url}/docs)",
            f"  Emisor demo:  {slug} (RUC {running.tenant.ruc}, ambiente simulado)",
            f"  API key:      {running.api_key}",
            f"  Consola:      {running.gateway_url}/consola/",
            f"  Ingreso:      {console_link(running.signin_link)}",
            f"                (usuario {DEMO_ADMIN_EMAIL}, admin; enlace de un solo uso: abrir y confirmar)",
            f"  Clave maestra: {master}   (Bearer de /admin: empresas, claves API)",
            f"  Simulador:    {running.sim_url}   (token de /admin: {running.data_dir / 'sim' / TOKEN_FILE})",
            f"  Datos:        {db}; {bus}",
            "  Probar:",
            f"    {curl}",
            "  Ctrl+C para detener.",
        ]
    )


async def run(settings: Settings, config: StandaloneConfig, *, echo: Callable[[str], None] = print) -> None:
    configure_logging(settings.log_level, json=settings.log_json, service="standalone")
    running = await start(settings, config)
    freeze_startup_heap()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    echo(banner(running))
    try:
        await stop.wait()
    finally:
        await running.stop()
