"""``sifenflow serve console``: the console alone, talking to the gateway at ``CONSOLE_GATEWAY_URL``."""

from __future__ import annotations

from aiohttp import web
from pydantic_settings import BaseSettings, SettingsConfigDict

from sifenflow_common.runtime.settings import Settings
from sifenflow_console.app import standalone_app


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_")

    gateway_url: str = "http://127.0.0.1:8080"
    host: str = "0.0.0.0"
    port: int = 8090


def main(settings: Settings) -> None:
    console = ConsoleSettings()
    web.run_app(standalone_app(console.gateway_url), host=console.host, port=console.port, access_log=None)
