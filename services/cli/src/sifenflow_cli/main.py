"""Entry point of the ``sifenflow`` command.

Each command group lives in its own module under ``sifenflow_cli.commands`` and exposes a click
object named ``command`` (or a list ``commands``); a module that sets ``PARENT = "xml"`` adds its
commands under ``sifenflow xml``. ``COMMAND_MODULES`` below is the one explicit list of them.
"""

from __future__ import annotations

import importlib

import click

# module name under sifenflow_cli.commands -> what it provides
COMMAND_MODULES: tuple[str, ...] = (
    "xml_build",  # sifenflow xml build
    "xml_sign",  # sifenflow xml sign|verify
    "cert",  # sifenflow cert generate
    "event",  # sifenflow event build
    "sim",  # sifenflow sim
    "db",  # sifenflow db migrate
    "bus",  # sifenflow bus parked
    "projections",  # sifenflow projections parked [--replay]
    "kude",  # sifenflow kude
    "serve",  # sifenflow serve <service>
    "tenant",  # sifenflow tenant / apikey
    "bulk",  # sifenflow bulk FILE.ndjson
    "run",  # sifenflow run (all services in one process)
    "archive",  # sifenflow archive export|verify
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """sifenflow: facturación electrónica SIFEN (Paraguay)."""


@cli.group()
def xml() -> None:
    """Documentos electrónicos en XML: construir, firmar, verificar."""


PARENTS: dict[str, click.Group] = {"xml": xml}


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"sifenflow_cli.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"sifenflow_cli.commands.{name}":
                continue  # command group not built yet
            raise
        parent = PARENTS.get(getattr(module, "PARENT", ""), cli)
        for command in getattr(module, "commands", None) or [module.command]:
            parent.add_command(command)


_register_commands()


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
