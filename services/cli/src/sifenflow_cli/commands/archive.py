"""``sifenflow archive export|verify``: the legal archive (signed XML and SIFEN answers) of a period,
with a SHA-256 manifest, and its check."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import date, datetime
from pathlib import Path

import asyncpg
import click

from sifenflow_common.archive.export import ArchiveError, ExportSummary, export_archive
from sifenflow_common.archive.manifest import ManifestError, verify
from sifenflow_common.db.pool import censor_dsn, create_pool
from sifenflow_common.runtime.settings import load_settings


@click.group(name="archive")
def command() -> None:
    """Archivo legal: XML firmados y respuestas de SIFEN (5 años), con manifiesto SHA-256."""


def _fail(code: str, message: str, exit_code: int) -> None:
    click.echo(json.dumps({"code": code, "message": message}, ensure_ascii=False), err=True)
    sys.exit(exit_code)


def _day(_: click.Context, param: click.Parameter, value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter(f"fecha inválida {value!r}: use AAAA-MM-DD (YYYY-MM-DD)") from None


async def _export(dsn: str, target: Path, desde: date, hasta: date, tenant: str | None) -> ExportSummary:
    pool = await create_pool(dsn, min_size=1, max_size=2, application_name="sifenflow-archive")
    try:
        return await export_archive(pool, target, desde, hasta, tenant=tenant)
    finally:
        await pool.close()


@command.command(name="export")
@click.option("--desde", required=True, callback=_day, help="Primer día (AAAA-MM-DD, hora de Paraguay).")
@click.option("--hasta", required=True, callback=_day, help="Último día, incluido (AAAA-MM-DD).")
@click.option("--tenant", default=None, help="Solo esta empresa (slug o id).")
@click.option("--database-url", envvar="DATABASE_URL", help="DSN de PostgreSQL (por defecto DATABASE_URL).")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_command(
    desde: date, hasta: date, tenant: str | None, database_url: str | None, directory: Path
) -> None:
    """Escribe en DIRECTORY los documentos aceptados en el período: XML firmado, intercambios con
    SIFEN y eventos de cada uno, sus lotes, y MANIFEST.sha256."""
    dsn = database_url or load_settings().database_url
    if not dsn:
        _fail("DATABASE_URL_FALTANTE", "Defina DATABASE_URL.", 2)
        return
    try:
        summary = asyncio.run(_export(dsn, directory, desde, hasta, tenant))
    except ArchiveError as exc:
        _fail(exc.code, exc.message, 1)
        return
    except (OSError, asyncpg.PostgresError) as exc:
        _fail("BASE_NO_DISPONIBLE", f"No se pudo usar {censor_dsn(dsn)}: {exc}", 2)
        return
    click.echo(
        f"{summary.documents} documentos y {summary.lotes} lotes archivados en {directory} "
        f"({summary.files} archivos en MANIFEST.sha256)"
    )
    if summary.pending:
        click.echo(f"{summary.pending} documentos del período aún sin firmar: no archivados", err=True)


@command.command(name="verify")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def verify_command(directory: Path) -> None:
    """Comprueba DIRECTORY contra su MANIFEST.sha256: código 1 ante un archivo faltante, alterado o
    no listado; 2 sin manifiesto."""
    try:
        checked, problems = verify(directory)
    except ManifestError as exc:
        _fail("MANIFIESTO_INVALIDO", str(exc), 2)
        return
    for problem in problems:
        click.echo(problem.describe(), err=True)
    if problems:
        _fail(
            "ARCHIVO_ALTERADO",
            f"{len(problems)} problemas en {directory} (archive does not match its manifest)",
            1,
        )
        return
    click.echo(f"archivo íntegro: {checked} archivos verificados (archive intact)")
