"""``sifenflow kude SIGNED.xml --out FILE.pdf [--format a4|ticket] [--logo FILE]``: the KuDE of any rDE.

Works without a running system: reads the signed rDE (ours, a supplier's, or an official example in a
SOAP envelope), renders the PDF with the kude renderer and writes it. Bad input exits with status 2
and prints ``[{"code", "path", "message"}]`` on stderr; never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import cast

import click

EXIT_INVALID = 2


def _fail(code: str, path: str, message: str) -> None:
    click.echo(json.dumps([{"code": code, "path": path, "message": message}], ensure_ascii=False), err=True)
    sys.exit(EXIT_INVALID)


@click.command(name="kude")
@click.argument("xml_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Archivo PDF de salida.",
)
@click.option(
    "--format",
    "page_format",
    type=click.Choice(["a4", "ticket"]),
    default="a4",
    show_default=True,
    help="A4 o ticket de 80 mm.",
)
@click.option(
    "--logo",
    "logo_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Logo del emisor (PNG, JPEG, GIF, WebP o SVG).",
)
@click.option(
    "--environment",
    type=click.Choice(["simulado", "test", "produccion"]),
    default=None,
    help="Leyenda de ambiente; por defecto se deduce de la URL del QR.",
)
def command(
    xml_file: Path, out_file: Path, page_format: str, logo_file: Path | None, environment: str | None
) -> None:
    """Genera el KuDE (PDF) de un documento electrónico firmado (rDE)."""
    from sifenflow_common.kude.markup import Environment, Format
    from sifenflow_common.kude.render import KudeError, render_kude

    try:
        xml = xml_file.read_bytes()
    except OSError as exc:
        _fail("ARCHIVO_NO_LEIDO", "xml", f"No se pudo leer {xml_file}: {exc.strerror}")
        return
    logo = None
    if logo_file is not None:
        try:
            logo = logo_file.read_bytes()
        except OSError as exc:
            _fail("ARCHIVO_NO_LEIDO", "logo", f"No se pudo leer {logo_file}: {exc.strerror}")
            return
    try:
        pdf = render_kude(
            xml,
            format=cast(Format, page_format),  # click.Choice already limited it
            environment=cast(Environment | None, environment),
            logo=logo,
        )
    except KudeError as exc:
        _fail(exc.code, exc.path, exc.message)
        return
    try:
        out_file.write_bytes(pdf)
    except OSError as exc:
        _fail("ARCHIVO_NO_ESCRITO", "out", f"No se pudo escribir {out_file}: {exc.strerror}")
        return
    click.echo(f"KuDE → {out_file} ({len(pdf)} bytes)", err=True)
