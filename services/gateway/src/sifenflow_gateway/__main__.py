"""`python -m sifenflow_gateway` (also `sifenflow serve gateway`)."""

from __future__ import annotations

from aiohttp import web

from sifenflow_common.runtime.http_server import run_app
from sifenflow_common.runtime.logging import configure_logging
from sifenflow_common.runtime.memory import freeze_startup_heap
from sifenflow_gateway.app import build_app
from sifenflow_gateway.settings import GatewaySettings
from sifenflow_gateway.tls import TlsConfigError, server_ssl_context


def main() -> None:
    settings = GatewaySettings()
    configure_logging(settings.log_level, json=settings.log_json, service="gateway")
    try:
        ssl_context = server_ssl_context(settings)
    except TlsConfigError as exc:
        raise SystemExit(f"sifenflow gateway: {exc}") from None
    # SIGTERM: stop accepting, let in-flight requests finish for up to SHUTDOWN_TIMEOUT_S, then close.
    # A request aiohttp's HTTP parser refuses is answered with the JSON error envelope.
    run_app(
        _app(settings),
        host=settings.http_host,
        port=settings.http_port,
        ssl_context=ssl_context,
        shutdown_timeout=settings.shutdown_timeout_s,
    )


async def _app(settings: GatewaySettings) -> web.Application:
    app = await build_app(settings)
    app.on_startup.append(_freeze_after_start)  # appended last: runs after the app's own start-up
    return app


async def _freeze_after_start(app: web.Application) -> None:
    freeze_startup_heap()


if __name__ == "__main__":
    main()
