"""``sifenflow sim``: the SIFEN simulator ("ambiente no conectado a la SET")."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from pathlib import Path

import click

from sifenflow_common.runtime.logging import configure_logging
from sifenflow_common.runtime.settings import load_settings
from sifenflow_common.sifen.test_ca import default_test_ca_dir
from sifenflow_sifen_sim.admin_token import TOKEN_FILE, ensure_admin_token
from sifenflow_sifen_sim.server import serve
from sifenflow_sifen_sim.settings import SimSettings


@click.command("sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int)
@click.option("--tls", is_flag=True, help="HTTPS con autenticación mutua (certificado de cliente).")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directorio del archivo SQLite (sim.sqlite3); sin él, todo queda en memoria.",
)
@click.option("--registry", "registry_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--faults", "faults_file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--seed", default=0, show_default=True, type=int, help="Semilla de la inyección de fallas.")
@click.option("--server-cert", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--server-key", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--client-ca",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="PEM de la CA de prueba que emite los certificados de cliente.",
)
@click.option(
    "--test-ca-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="CA de prueba (sifenflow cert generate) confiable para firmas y TLS; "
    "por defecto $SIFENFLOW_TEST_CA_DIR o ~/.sifenflow/test-ca.",
)
@click.option(
    "--lote-workers",
    default=1,
    show_default=True,
    type=int,
    help="Procesos que verifican los DE de los lotes (0: un hilo del simulador).",
)
@click.option("--lote-delay", default=0.0, show_default=True, type=float, help="Segundos mínimos en 0361.")
@click.option(
    "--admin-token",
    envvar="SIFEN_SIM_ADMIN_TOKEN",
    default=None,
    help="Token de /admin/*; sin él se usa <data-dir>/admin_token (creado si falta) o uno nuevo.",
)
def command(
    host: str,
    port: int,
    tls: bool,
    data_dir: Path | None,
    registry_file: Path | None,
    faults_file: Path | None,
    seed: int,
    server_cert: Path | None,
    server_key: Path | None,
    client_ca: Path | None,
    test_ca_dir: Path | None,
    lote_workers: int,
    lote_delay: float,
    admin_token: str | None,
) -> None:
    """Simulador de SIFEN: los seis servicios web, con fallas inyectables."""
    if tls and data_dir is None and (server_cert is None or server_key is None):
        raise click.UsageError("--tls necesita --server-cert y --server-key, o --data-dir para generarlos")
    settings = SimSettings(
        host=host,
        port=port,
        data_dir=data_dir,
        registry_file=registry_file,
        faults_file=faults_file,
        seed=seed,
        tls=tls,
        server_cert_file=server_cert,
        server_key_file=server_key,
        client_ca_file=client_ca,
        test_ca_dir=test_ca_dir or default_test_ca_dir(),
        lote_delay_seconds=lote_delay,
        lote_workers=lote_workers,
        admin_token=admin_token,
    )
    logs = load_settings(service_name="sifen-sim")  # LOG_LEVEL, LOG_JSON
    configure_logging(logs.log_level, json=logs.log_json, service="sifen-sim")
    scheme = "https" if tls else "http"
    click.echo(f"Simulador SIFEN en {scheme}://{host}:{port} (datos: {settings.database_path})")
    if admin_token is None:  # the admin API always requires a token: say where it is
        settings = replace(settings, admin_token=ensure_admin_token(data_dir))
        where = (
            f"en {data_dir / TOKEN_FILE}"
            if data_dir is not None
            else f"de esta ejecución: {settings.admin_token}"
        )
        click.echo(f"Token de la API de administración {where}")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings))
