"""docker-compose.yml stays in step with the CLI: every sifenflow container runs a real command.

The image's entrypoint is ``sifenflow``; each service's ``command`` must name an existing command
with arguments that parse (click validates choices and options without running anything), and
every service of ``sifenflow serve`` must appear in the topology.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from sifenflow_cli.commands.serve import SERVICES
from sifenflow_cli.main import cli

pytestmark = pytest.mark.unit

COMPOSE = Path(__file__).resolve().parents[3] / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _sifenflow_services() -> dict[str, list[str]]:
    """Services built from the sifenflow image (yaml merge keys resolved) → their command."""
    out: dict[str, list[str]] = {}
    for name, spec in _compose()["services"].items():
        if spec.get("image") == "sifenflow:latest" or "build" in spec:
            command = spec.get("command")
            assert isinstance(command, list) and command, f"{name}: command must be a non-empty list"
            out[name] = [str(part) for part in command]
    return out


def _resolve(args: list[str]) -> click.Command:
    """Walk the CLI tree like click does and parse the leaf's arguments (no invocation)."""
    command: click.Command = cli
    path = ["sifenflow"]
    rest = list(args)
    while isinstance(command, click.Group):
        assert rest, f"{' '.join(path)} needs a subcommand"
        sub = command.get_command(click.Context(command), rest[0])
        assert sub is not None, f"{' '.join(path)} has no command {rest[0]!r}"
        path.append(rest.pop(0))
        command = sub
    ctx = command.make_context(" ".join(path), rest)  # raises click.UsageError on bad arguments
    ctx.close()
    return command


def test_every_container_command_is_a_real_cli_command() -> None:
    services = _sifenflow_services()
    assert services, "no sifenflow services in docker-compose.yml"
    for name, command in services.items():
        try:
            _resolve(command)
        except click.UsageError as exc:
            pytest.fail(f"service {name}: `sifenflow {' '.join(command)}` does not parse: {exc}")


def test_every_serve_target_runs_in_its_own_container() -> None:
    served = {cmd[1] for cmd in _sifenflow_services().values() if cmd[0] == "serve"}
    assert served == set(SERVICES)


def test_a_misspelt_command_is_caught() -> None:
    with pytest.raises((AssertionError, click.UsageError)):
        _resolve(["serve", "bilder"])
    with pytest.raises(AssertionError):
        _resolve(["serv", "builder"])
