"""`python -m sifenflow_gateway` (also `sifenflow serve gateway`)."""

from __future__ import annotations

from aiohttp import web

from sifenflow_common.runtime.logging import configure_logging
from sifenflow_common.runtime.memory import freeze_startup_heap
from sifenflow_gateway.app import build_app
from sifenflow_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging(settings.log_level, json=settings.log_json, service="gateway")
    web.run_app(_app(settings), host=settings.http_host, port=settings.http_port)


async def _app(settings: GatewaySettings) -> web.Application:
    app = await build_app(settings)
    app.on_startup.append(_freeze_after_start)  # appended last: runs after the app's own start-up
    return app


async def _freeze_after_start(app: web.Application) -> None:
    freeze_startup_heap()


if __name__ == "__main__":
    main()
