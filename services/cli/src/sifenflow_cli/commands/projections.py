"""``sifenflow projections parked [--projection P] [--replay] [--all] [--json]``: events a read model
could not apply, set aside with their error, and their replay after a fix."""

from __future__ import annotations

import asyncio
import json
import sys

import click

from sifenflow_common.db.pool import censor_dsn, pool_context
from sifenflow_common.eventstore.parked import ParkedEvent, list_parked
from sifenflow_common.eventstore.subscription import Subscription
from sifenflow_common.runtime.settings import load_settings
from sifenflow_store.service import projections


@click.group(name="projections")
def command() -> None:
    """Proyecciones (modelos de lectura): eventos apartados."""


async def _run(
    dsn: str, only: str | None, replay: bool, include_replayed: bool
) -> tuple[list[ParkedEvent], dict[str, tuple[int, int]]]:
    results: dict[str, tuple[int, int]] = {}
    async with pool_context(dsn, max_size=2, application_name="sifenflow-cli") as pool:
        if replay:
            for projection in projections():
                if only is None or projection.name == only:
                    results[projection.name] = await Subscription(pool, projection).replay_parked()
        return await list_parked(pool, only, include_replayed=include_replayed), results


@command.command(name="parked")
@click.option("--database-url", envvar="DATABASE_URL", help="DSN de PostgreSQL (por defecto DATABASE_URL).")
@click.option("--projection", "only", default=None, help="Solo esta proyección (p. ej. documents).")
@click.option("--replay", is_flag=True, help="Vuelve a aplicar los eventos apartados (tras una corrección).")
@click.option("--all", "include_replayed", is_flag=True, help="Incluye los ya reaplicados.")
@click.option("--json", "as_json", is_flag=True, help="Una línea JSON por evento.")
def parked_command(
    database_url: str | None, only: str | None, replay: bool, include_replayed: bool, as_json: bool
) -> None:
    """Lista los eventos que una proyección no pudo aplicar, con su error; --replay los reaplica."""
    dsn = database_url or load_settings().database_url
    if not dsn:
        click.echo('{"code": "DATABASE_URL_FALTANTE", "message": "Defina DATABASE_URL."}', err=True)
        sys.exit(2)
    try:
        found, results = asyncio.run(_run(dsn, only, replay, include_replayed))
    except OSError as exc:
        message = f"No se pudo conectar a {censor_dsn(dsn)}: {exc}"
        error = {"code": "BASE_NO_DISPONIBLE", "message": message}
        click.echo(json.dumps(error, ensure_ascii=False), err=True)
        sys.exit(1)
    for name, (applied, failing) in results.items():
        click.echo(f"{name}: {applied} reaplicados, {failing} siguen fallando", err=True)
    for p in found:
        if as_json:
            click.echo(json.dumps(p.as_dict(), ensure_ascii=False))
        else:
            state = f" reaplicado={p.replayed_at:%Y-%m-%d %H:%M:%S}" if p.replayed_at else ""
            where = f"{p.subscription} #{p.position.global_position} {p.event_type} {p.message_id}"
            at = f"{p.parked_at:%Y-%m-%d %H:%M:%S}"
            click.echo(f"{at} {where} intentos={p.attempts}{state} error={p.error}")
    click.echo(f"{sum(1 for p in found if p.replayed_at is None)} eventos apartados", err=True)
    if any(failing for _, failing in results.values()):
        sys.exit(1)
