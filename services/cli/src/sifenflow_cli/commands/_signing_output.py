"""Shared output of the signing commands: issues as JSON on stderr, never a traceback."""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import click

from sifenflow_common.errors import ValidationIssue


def fail(issues: list[ValidationIssue], exit_code: int = 2) -> NoReturn:
    """Print ``[{code, path, message}]`` on stderr and exit non-zero."""
    click.echo(json.dumps([i.as_dict() for i in issues], ensure_ascii=False), err=True)
    sys.exit(exit_code)


def fail_one(code: str, path: str, message: str) -> NoReturn:
    fail([ValidationIssue(code=code, path=path, message=message)])


def read_file(path: str, option: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        fail_one("ARCHIVO_ILEGIBLE", option, f"No se pudo leer {path}: {exc.strerror}")
