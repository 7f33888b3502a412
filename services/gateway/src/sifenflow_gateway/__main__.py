"""`python -m sifenflow_gateway` (also `sifenflow serve gateway`)."""

from __future__ import annotations

from aiohttp import web

from sifenflow_common.runtime.logging import configure_logging
from sifenflow_gateway.app import build_app
from sifenflow_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging(settings.log_level, json=settings.log_json, service="gateway")
    web.run_app(build_app(settings), host=settings.http_host, port=settings.http_port)


if __name__ == "__main__":
    main()
