"""A real simulator on loopback (HTTP or HTTPS with client certificates) for the client contract tests."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest_asyncio
from aiohttp import web

from sifenflow_common.sifen_client import SifenClient, SifenClientConfig
from sifenflow_sifen_sim.app import Simulator, create_app
from sifenflow_sifen_sim.server import build_ssl
from sifenflow_sifen_sim.settings import SimSettings
from tests.protocol_fixtures import demo_contribuyente, protocol_ca_dir


@dataclass
class RunningSim:
    base_url: str
    sim: Simulator
    runner: web.AppRunner
    clients: list[SifenClient] = field(default_factory=list)
    server_cafile: str | None = None

    def client(self, ssl_context: ssl.SSLContext | None = None, **config: Any) -> SifenClient:
        client = SifenClient(SifenClientConfig(base_url=self.base_url, **config), ssl_context=ssl_context)
        self.clients.append(client)
        return client

    async def admin(
        self, method: str, path: str, json: Any = None, *, token: str | None = None
    ) -> tuple[int, Any]:
        """An admin call with the simulator's token (or ``token``: "" sends none)."""
        token = self.sim.admin_token if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        connector = aiohttp.TCPConnector(ssl=False)
        async with (
            aiohttp.ClientSession(connector=connector, headers=headers) as session,
            session.request(method, self.base_url + path, json=json) as response,
        ):
            return response.status, await response.json()


StartSim = Callable[..., Awaitable[RunningSim]]


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """Poll ``check`` until it is true (never a fixed sleep in a test)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest_asyncio.fixture(loop_scope="function")
async def start_sim(tmp_path: Path) -> AsyncIterator[StartSim]:
    running: list[RunningSim] = []

    async def start(settings: SimSettings | None = None, *, register_demo: bool = True) -> RunningSim:
        settings = replace(settings or SimSettings(), port=0)
        if settings.test_ca_dir is None:  # signatures verified against the tests' CA (chain 0123)
            settings = replace(settings, test_ca_dir=protocol_ca_dir())
        simulator = Simulator(settings)
        if register_demo:
            from sifenflow_sifen_sim.registry import contribuyente_from_dict

            entry = contribuyente_from_dict(demo_contribuyente())
            simulator.registry.put(entry)
            simulator.store.save_contribuyente(entry)
        app = create_app(settings, simulator)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=build_ssl(settings))
        await site.start()
        port = runner.addresses[0][1]
        scheme = "https" if settings.tls else "http"
        sim = RunningSim(f"{scheme}://127.0.0.1:{port}", simulator, runner)
        running.append(sim)
        return sim

    yield start
    for sim in running:
        for client in sim.clients:
            await client.close()
        await sim.runner.cleanup()
