"""``sifenflow serve <service>``: run one service as its own process (one per container).

Each service package offers one of, looked up in this order: ``sifenflow_<name>.service.main(settings)``,
``sifenflow_<name>.service.serve(settings)`` (a coroutine) or ``sifenflow_<name>.__main__.main()``.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

import click

from sifenflow_common.runtime.settings import Settings, load_settings

SERVICES: tuple[str, ...] = ("gateway", "builder", "signer", "sender", "store", "kude", "mailer", "notifier")
WEB_SERVICES: tuple[str, ...] = (
    "console",
)  # talks to the gateway over HTTP only; no deployment manifest yet
NEEDS_DATABASE = frozenset({"gateway", "builder", "signer", "sender", "store", "mailer"})


class ServiceUnavailable(LookupError):
    def __init__(self, name: str, missing: str | None = None) -> None:
        super().__init__(name)
        self.name = name
        self.missing = missing  # a sifenflow module the service needs and this install lacks


def _module(path: str, service: str) -> ModuleType | None:
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name is not None and path.startswith(exc.name):
            return None  # the service module is not built yet
        if exc.name is not None and exc.name.startswith("sifenflow"):
            raise ServiceUnavailable(service, exc.name) from exc  # a part it needs is not built yet
        raise


def entry_point(name: str) -> Callable[[Settings], None]:
    """The callable that runs service ``name`` with ``settings``; ServiceUnavailable when the
    package offers none yet."""
    package = f"sifenflow_{name}"
    service = _module(f"{package}.service", name)
    if service is not None:
        main = getattr(service, "main", None)
        if callable(main):
            return main  # type: ignore[no-any-return,unused-ignore]
        serve = getattr(service, "serve", None)
        if serve is not None and inspect.iscoroutinefunction(serve):
            return lambda settings: asyncio.run(serve(settings))
    dunder = _module(f"{package}.__main__", name)
    if dunder is not None and callable(getattr(dunder, "main", None)):
        main_no_args: Callable[[], Any] = dunder.main
        return lambda settings: main_no_args()
    raise ServiceUnavailable(name)


@click.command(name="serve")
@click.argument("service", type=click.Choice(SERVICES + WEB_SERVICES))
def command(service: str) -> None:
    """Ejecuta un servicio (gateway, builder, signer, sender, store, kude, mailer, notifier, console)."""
    try:
        run = entry_point(service)
    except ServiceUnavailable as exc:
        message = f"El servicio {service} todavía no está disponible en esta instalación"
        if exc.missing:
            message += f" (falta el módulo {exc.missing})"
        error = {"code": "SERVICIO_NO_DISPONIBLE", "path": "service", "message": message}
        click.echo(json.dumps(error, ensure_ascii=False), err=True)
        sys.exit(2)
    settings = load_settings(service_name=service)
    if service in NEEDS_DATABASE and not settings.database_url:
        error = {
            "code": "DATABASE_URL_FALTANTE",
            "path": "DATABASE_URL",
            "message": f"El servicio {service} necesita DATABASE_URL (PostgreSQL); sifenflow run lo embebe",
        }
        click.echo(json.dumps(error, ensure_ascii=False), err=True)
        sys.exit(2)
    if settings.cpu_nice:
        os.nice(settings.cpu_nice)
    run(settings)
