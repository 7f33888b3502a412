"""``sifenflow run`` (``make run``): every service in one process, ready to try."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from pathlib import Path

import click

from sifenflow_common.runtime.settings import load_settings


@click.command(name="run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int, help="Puerto de la API.")
@click.option("--sim-port", default=8091, show_default=True, type=int, help="Puerto del simulador SIFEN.")
@click.option(
    "--data-dir", default=Path(".sifenflow"), show_default=True, type=click.Path(path_type=Path),
    help="PostgreSQL embebido, clave maestra, CA de prueba y datos del simulador.",
)  # fmt: skip
@click.option(
    "--skip", multiple=True, type=click.Choice(["kude", "mailer", "notifier"]),
    help="Deja fuera un servicio opcional (repetible), p. ej. --skip kude para medir sin KuDE.",
)  # fmt: skip
def command(host: str, port: int, sim_port: int, data_dir: Path, skip: tuple[str, ...]) -> None:
    """Todos los servicios en un proceso (PostgreSQL embebido y bus en proceso si faltan las URL)."""
    try:
        from sifenflow_standalone.app import StandaloneConfig, run
        from sifenflow_standalone.datadir_lock import DataDirInUseError, lock_data_dir, release
    except ModuleNotFoundError as exc:
        error = {
            "code": "SERVICIO_NO_DISPONIBLE",
            "path": "run",
            "message": f"sifenflow run necesita {exc.name}, que todavía no está instalado",
        }
        click.echo(json.dumps(error, ensure_ascii=False), err=True)
        sys.exit(2)
    config = StandaloneConfig(
        host=host, port=port, sim_port=sim_port, data_dir=data_dir, skip=frozenset(skip)
    )
    try:
        lock = lock_data_dir(data_dir.resolve())
    except DataDirInUseError as exc:
        error = {
            "code": "DATOS_EN_USO",
            "path": "data-dir",
            "message": (
                f"El directorio de datos {exc.data_dir} ya está en uso por otro sifenflow run "
                f"(pid {exc.pid}); deténgalo o use otro --data-dir. / {exc}"
            ),
        }
        click.echo(json.dumps(error, ensure_ascii=False), err=True)
        sys.exit(2)
    try:
        _check_ports(host, port, sim_port)
        asyncio.run(run(load_settings(service_name="standalone"), config, echo=click.echo))
    finally:
        release(lock)


def _check_ports(host: str, port: int, sim_port: int) -> None:
    for name, value in (("port", port), ("sim-port", sim_port)):
        if not _port_free(host, value):
            error = {
                "code": "PUERTO_OCUPADO",
                "path": name,
                "message": f"El puerto {host}:{value} ya está en uso; elija otro con --{name}",
            }
            click.echo(json.dumps(error, ensure_ascii=False), err=True)
            sys.exit(2)


def _port_free(host: str, port: int) -> bool:
    """Whether a server could listen on the port now. SO_REUSEADDR as the server itself (aiohttp)
    binds: connections of a process just stopped, left in TIME_WAIT, do not make it busy."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True
