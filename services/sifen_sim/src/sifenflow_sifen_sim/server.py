"""Running the simulator as a process: HTTP or HTTPS with client certificates, until cancelled."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import ssl

from aiohttp import web

from sifenflow_common.sifen.test_ca import ensure_test_ca
from sifenflow_sifen_sim.app import create_app
from sifenflow_sifen_sim.settings import SimSettings
from sifenflow_sifen_sim.tls import ensure_server_certificate, server_ssl_context


def build_ssl(settings: SimSettings) -> ssl.SSLContext | None:
    if not settings.tls:
        return None
    cert, key = settings.server_cert_file, settings.server_key_file
    if cert is None or key is None:
        if settings.data_dir is None:
            raise ValueError("--tls sin certificado de servidor requiere --data-dir")
        cert, key = ensure_server_certificate(settings.data_dir / "tls")
    client_ca_pem = None
    if settings.client_ca_file is None and settings.test_ca_dir is not None:
        client_ca_pem = ensure_test_ca(settings.test_ca_dir).certificate_pem
    return server_ssl_context(
        cert,
        key,
        settings.client_ca_file,
        client_ca_pem=client_ca_pem,
        require_client_cert=settings.require_client_cert,
    )


async def serve(settings: SimSettings, started: asyncio.Event | None = None) -> None:
    """Serve until SIGINT/SIGTERM (or cancellation), then stop cleanly: pending lotes stay in SQLite
    and the lote worker processes are shut down."""
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, ssl_context=build_ssl(settings))
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if started is not None:
        started.set()
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
