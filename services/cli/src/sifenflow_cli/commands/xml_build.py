"""``sifenflow xml build INPUT.json [--out FILE]``: FacturaSend JSON → unsigned rDE.

Input: ``{"params": …, "data": …}`` (``-`` reads stdin). Output: the compact unsigned XML on
stdout or in ``--out``. Invalid input exits with status 2 and prints the issues as a JSON list of
``{"code", "path", "message"}`` on stderr; never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import click

from sifenflow_common.errors import DocumentInvalid, ValidationIssue

PARENT = "xml"
EXIT_INVALID = 2


def _fail(issues: list[ValidationIssue]) -> None:
    click.echo(json.dumps([i.as_dict() for i in issues], ensure_ascii=False), err=True)
    sys.exit(EXIT_INVALID)


def _load(raw: bytes) -> Any:
    from sifenflow_common.facturasend.parse import load_json

    try:
        return load_json(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        _fail([ValidationIssue("JSON_INVALIDO", "$", f"La entrada no es JSON válido: {exc}")])


@click.command(name="build")
@click.argument("input_file", type=click.File("rb"))
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Archivo de salida (por defecto, la salida estándar).",
)
@click.option(
    "--environment",
    type=click.Choice(["simulado", "test", "produccion"]),
    default="test",
    show_default=True,
    help="Ambiente (en test dNomEmi lleva el texto de prueba de SIFEN).",
)
def command(input_file: Any, out_file: str | None, environment: str) -> None:
    """Construye el XML (rDE sin firmar) de un documento en JSON FacturaSend."""
    from sifenflow_common.documents.engine import build_document

    payload = _load(input_file.read())
    if not isinstance(payload, Mapping):
        _fail([ValidationIssue("TIPO_INVALIDO", "$", "Se espera un objeto JSON con 'params' y 'data'")])
    issues = [
        ValidationIssue("CAMPO_REQUERIDO", key, f"Falta '{key}' en la entrada")
        for key in ("params", "data")
        if key not in payload
    ]
    if issues:
        _fail(issues)
    try:
        built = build_document(payload["params"], payload["data"], environment=environment)  # type: ignore[arg-type]
    except DocumentInvalid as exc:
        _fail(exc.issues)
        return
    for warning in built.warnings:  # what the tolerance policy ignored (docs/document-engine.md)
        click.echo(f"aviso {warning.code} {warning.path}: {warning.message}", err=True)
    if out_file is None:
        sys.stdout.buffer.write(built.xml)
        sys.stdout.buffer.flush()
    else:
        with open(out_file, "wb") as fh:
            fh.write(built.xml)
        click.echo(f"{built.cdc} → {out_file}", err=True)
