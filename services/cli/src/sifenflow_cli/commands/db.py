"""``sifenflow db migrate``: apply the numbered SQL migrations to DATABASE_URL."""

from __future__ import annotations

import asyncio
import sys

import click

from sifenflow_common.db.migrate import MigrationError, migrate_dsn
from sifenflow_common.db.pool import censor_dsn
from sifenflow_common.runtime.settings import load_settings


@click.group(name="db")
def command() -> None:
    """Base de datos: migraciones."""


@command.command(name="migrate")
@click.option("--database-url", envvar="DATABASE_URL", help="DSN de PostgreSQL (por defecto DATABASE_URL).")
def migrate_command(database_url: str | None) -> None:
    """Aplica las migraciones pendientes, en orden, y las registra."""
    dsn = database_url or load_settings().database_url
    if not dsn:
        click.echo('{"code": "DATABASE_URL_FALTANTE", "message": "Defina DATABASE_URL."}', err=True)
        sys.exit(2)
    try:
        applied = asyncio.run(migrate_dsn(dsn))
    except (OSError, MigrationError) as exc:
        click.echo(f"error migrando {censor_dsn(dsn)}: {exc}", err=True)
        sys.exit(1)
    for migration in applied:
        click.echo(f"aplicada {migration.version:04d}_{migration.name}")
    click.echo(f"{len(applied)} migraciones aplicadas en {censor_dsn(dsn)}")
