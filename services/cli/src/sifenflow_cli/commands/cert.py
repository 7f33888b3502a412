"""``sifenflow cert generate``: a test PKCS#12 issued by the local test CA (disconnected mode)."""

from __future__ import annotations

from pathlib import Path

import click

from sifenflow_cli.commands._signing_output import fail_one
from sifenflow_common.sifen.certificates import load_pkcs12
from sifenflow_common.sifen.test_ca import (
    ENV_TEST_CA_DIR,
    default_test_ca_dir,
    ensure_test_ca,
    issue_test_p12,
)


@click.group("cert")
def command() -> None:
    """Certificados de prueba (CA local, sin valor legal)."""


@command.command("generate")
@click.option("--ruc", required=True, help="RUC con DV, p. ej. 80069563-1")
@click.option("--name", required=True, help='Razón social, p. ej. "EMPRESA S.A."')
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Archivo .p12 de salida")
@click.option("--password", required=True, envvar="SIFENFLOW_P12_PASSWORD", help="Contraseña del .p12")
@click.option(
    "--ca-dir",
    type=click.Path(file_okay=False),
    help=f"Directorio de la CA de prueba (por defecto ${ENV_TEST_CA_DIR} o ~/.sifenflow/test-ca)",
)
@click.option("--days", default=365, show_default=True, type=click.IntRange(1, 3650), help="Vigencia en días")
def generate(ruc: str, name: str, out: str, password: str, ca_dir: str | None, days: int) -> None:
    """Emite un PKCS#12 de prueba con serialNumber RUC<ruc>, clientAuth y digitalSignature."""
    directory = Path(ca_dir) if ca_dir else default_test_ca_dir()
    try:
        ca = ensure_test_ca(directory)
        data = issue_test_p12(ca, ruc=ruc, name=name, password=password, valid_days=days)
    except ValueError as exc:
        fail_one("RUC_INVALIDO", "--ruc", str(exc))
    except OSError as exc:
        fail_one("CA_DIR_INACCESIBLE", "--ca-dir", f"{directory}: {exc.strerror}")
    Path(out).write_bytes(data)
    credentials = load_pkcs12(data, password)
    click.echo(f"Certificado: {out}")
    click.echo(f"  Sujeto:   {credentials.subject}")
    click.echo(f"  RUC:      {credentials.ruc}")
    click.echo(
        f"  Vigencia: {credentials.not_before:%Y-%m-%d %H:%M} a {credentials.not_after:%Y-%m-%d %H:%M} UTC"
    )
    click.echo(f"  CA:       {directory / 'ca.cert.pem'}")
