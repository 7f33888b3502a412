"""The simulator keeps its state in SQLite across restarts; ``sifenflow sim`` runs as a process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from sifenflow_common.sifen_client import SifenClient, SifenClientConfig
from sifenflow_common.testing.ports import free_port
from sifenflow_sifen_sim.app import Simulator, create_app
from sifenflow_sifen_sim.settings import SimSettings
from tests.protocol_fixtures import DEMO_RUC, DocSpec, build_rde, demo_contribuyente, protocol_ca_dir

pytestmark = pytest.mark.integration


@asynccontextmanager
async def running(settings: SimSettings) -> AsyncIterator[tuple[Simulator, SifenClient, str]]:
    sim = Simulator(settings)
    runner = web.AppRunner(create_app(settings, sim), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    client = SifenClient(SifenClientConfig(base_url=base))
    try:
        yield sim, client, base
    finally:
        await client.close()
        await runner.cleanup()


async def test_documents_lotes_and_registry_survive_a_restart(tmp_path: Path) -> None:
    settings = SimSettings(data_dir=tmp_path, test_ca_dir=protocol_ca_dir())
    cdc, rde = build_rde(DocSpec(numero=1))
    async with running(settings) as (sim, client, base):
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {sim.admin_token}"}) as session,
            session.post(base + "/admin/contribuyentes", json=demo_contribuyente()) as r,
        ):
            assert r.status == 201
        first = (await client.recepcion_de(rde)).result
        assert first.approved
        rejected_cdc, rejected = build_rde(DocSpec(numero=2, break_dv=True))
        assert (await client.recepcion_de(rejected)).result.code == "1003"
    assert (tmp_path / "sim.sqlite3").is_file()
    async with running(settings) as (sim, client, _):
        # registry from the admin endpoint, approved DTE, duplicate detection, rejected DE: all kept
        assert (await client.consulta_ruc(DEMO_RUC)).result.found
        found = (await client.consulta_de(cdc)).result
        assert found.found and found.content is not None and found.content.protocol == first.protocol
        assert (await client.recepcion_de(rde)).result.code == "1001"
        stored = sim.store.document(rejected_cdc)
        assert stored is not None and stored.status == "Rechazado" and stored.code == "1003"
        # protocol numbers keep increasing after the restart
        second = (await client.recepcion_de(build_rde(DocSpec(numero=3))[1])).result
        assert second.protocol is not None and first.protocol is not None
        assert second.protocol > first.protocol


async def test_pending_lote_is_processed_after_a_restart(tmp_path: Path) -> None:
    slow = SimSettings(data_dir=tmp_path, test_ca_dir=protocol_ca_dir(), lote_delay_seconds=3600)
    docs = [build_rde(DocSpec(numero=n)) for n in range(1, 4)]
    async with running(slow) as (sim, client, _):
        entry = demo_contribuyente()
        from sifenflow_sifen_sim.registry import contribuyente_from_dict

        sim.store.save_contribuyente(contribuyente_from_dict(entry))
        sim.registry.put(contribuyente_from_dict(entry))
        lote = (await client.recepcion_lote([x for _, x in docs])).result
        assert lote.accepted and lote.lote_number is not None
        assert (await client.consulta_lote(lote.lote_number)).result.code == "0361"
    fast = SimSettings(data_dir=tmp_path, test_ca_dir=protocol_ca_dir())
    async with running(fast) as (sim, client, _):
        await sim.lotes.drain()
        result = (await client.consulta_lote(lote.lote_number)).result
        assert result.code == "0362"
        assert [r.cdc for r in result.results] == [cdc for cdc, _ in docs]
        assert all(r.approved for r in result.results)


async def test_sifenflow_sim_command_serves_the_six_paths(tmp_path: Path) -> None:
    port = free_port()
    registry = tmp_path / "registry.json"
    import json

    registry.write_text(json.dumps({"contribuyentes": [demo_contribuyente()]}), encoding="utf-8")
    sifenflow = Path(sys.executable).parent / "sifenflow"
    env = {**os.environ, "SIFENFLOW_TEST_CA_DIR": str(protocol_ca_dir())}
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for over HTTP
        [str(sifenflow), "sim", "--port", str(port), "--data-dir", str(tmp_path / "data"),
         "--registry", str(registry), "--seed", "3"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                try:
                    async with session.get(base + "/admin/health") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "no start")
        async with SifenClient(SifenClientConfig(base_url=base)) as client:
            assert (await client.consulta_ruc(DEMO_RUC)).result.found
            cdc, rde = build_rde(DocSpec(numero=1))
            assert (await client.recepcion_de(rde)).result.approved
            assert (await client.consulta_de(cdc)).result.found
            assert (await client.consulta_lote(1)).result.code == "0360"
        # no --admin-token: the command made one in its data directory; the admin API needs it
        token = (tmp_path / "data" / "admin_token").read_text().strip()
        async with aiohttp.ClientSession() as session:
            async with session.get(base + "/admin/faults") as r:
                assert r.status == 401
            async with session.get(base + "/admin/faults", headers={"Authorization": f"Bearer {token}"}) as r:
                assert r.status == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
    assert b"admin_token" in (process.stdout.read() if process.stdout else b"")  # it says where
    assert (tmp_path / "data" / "sim.sqlite3").is_file()


async def test_sifenflow_sim_tls_generates_its_certificate_and_trusts_the_test_ca(tmp_path: Path) -> None:
    # sifen-protocol.md §1.3: mutual TLS; the client certificate comes from `sifenflow cert`'s test CA
    import json

    from sifenflow_common.sifen.dv import dv11
    from sifenflow_common.sifen.test_ca import issue_test_p12
    from sifenflow_common.sifen_client import (
        SifenTransportError,
        build_ssl_context,
        client_certificate_from_pkcs12,
    )
    from tests.protocol_fixtures import protocol_ca

    port = free_port()
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps({"contribuyentes": [demo_contribuyente()]}), encoding="utf-8")
    data_dir = tmp_path / "data"
    env = {**os.environ, "SIFENFLOW_TEST_CA_DIR": str(protocol_ca_dir())}
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for over HTTPS
        [str(Path(sys.executable).parent / "sifenflow"), "sim", "--tls", "--port", str(port),
         "--data-dir", str(data_dir), "--registry", str(registry), "--lote-workers", "0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    p12 = issue_test_p12(protocol_ca(), ruc=f"{DEMO_RUC}-{dv11(DEMO_RUC)}", name="EMPRESA", password="pw")
    try:
        server_cert = data_dir / "tls" / "server-cert.pem"
        for _ in range(300):
            if server_cert.is_file() and process.poll() is None:
                try:
                    context = build_ssl_context(
                        client_certificate_from_pkcs12(p12, "pw"), cafile=str(server_cert)
                    )
                    async with SifenClient(
                        SifenClientConfig(base_url=f"https://127.0.0.1:{port}"), ssl_context=context
                    ) as client:
                        assert (await client.consulta_ruc(DEMO_RUC)).result.found
                        assert (await client.recepcion_de(build_rde(DocSpec(numero=1))[1])).result.approved
                    break
                except SifenTransportError:
                    pass
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(process.stderr.read().decode() if process.stderr else "no TLS start")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
