"""docker-compose.yml stays in step with the CLI: every sifenflow container runs a real command.

The image's entrypoint is ``sifenflow``; each service's ``command`` must name an existing command
with arguments that parse (click validates choices and options without running anything), and
every service of ``sifenflow serve`` must appear in the topology.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

from sifenflow_cli.commands.serve import SERVICES
from sifenflow_cli.main import cli
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_gateway.settings import GatewaySettings
from sifenflow_sifen_sim.registry import load_registry_file
from tests.unit.deploy.compose_config import ROOT, MissingVariable, effective_config

pytestmark = pytest.mark.unit

COMPOSE = ROOT / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _sifenflow_services() -> dict[str, list[str]]:
    """Services built from the sifenflow image (yaml merge keys resolved) → their command."""
    out: dict[str, list[str]] = {}
    for name, spec in _compose()["services"].items():
        if (spec.get("image") == "sifenflow:latest" or "build" in spec) and "entrypoint" not in spec:
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


def _on_host(name: str, command: list[str], tmp_path: Path) -> list[str]:
    """``command`` with the container paths of the service's mounts replaced by where they come
    from: bind mounts by the repository's files, named volumes by folders under ``tmp_path``."""
    mounts: list[tuple[str, Path]] = []
    for volume in _compose()["services"][name].get("volumes") or []:
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            host = ROOT / source
        else:
            host = tmp_path / source
            host.mkdir(exist_ok=True)
        mounts.append((target, host))
    out = []
    for arg in command:
        for target, host in mounts:
            if arg == target or arg.startswith(target + "/"):
                arg = str(host) + arg[len(target) :]
        out.append(arg)
    return out


def test_every_container_command_is_a_real_cli_command(tmp_path: Path) -> None:
    services = _sifenflow_services()
    assert services, "no sifenflow services in docker-compose.yml"
    for name, command in services.items():
        try:
            _resolve(_on_host(name, command, tmp_path))
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


# --- the effective configuration (what `docker compose config` would print) ----------------------

ENV = {"SIFENFLOW_MASTER_KEY": "k" * 32}
LONG_RUNNING = (*SERVICES, "sifen-sim")


def _effective() -> dict[str, Any]:
    return effective_config(ENV)["services"]


def _image_services() -> dict[str, dict[str, Any]]:
    return {n: s for n, s in _effective().items() if s.get("image") == "sifenflow:latest"}


def test_the_master_key_must_be_given() -> None:
    with pytest.raises(MissingVariable, match="SIFENFLOW_MASTER_KEY"):
        effective_config({})


def test_every_sifenflow_container_listens_on_all_interfaces_and_has_its_urls() -> None:
    services = _effective()
    postgres_env = services["postgres"]["environment"]
    rabbit_env = services["rabbitmq"]["environment"]
    sim_command = services["sifen-sim"]["command"]
    sim_port = sim_command[sim_command.index("--port") + 1]
    assert sim_command[sim_command.index("--host") + 1] == "0.0.0.0"
    for name, spec in _image_services().items():
        env = spec["environment"]
        assert env["HTTP_HOST"] == "0.0.0.0", name
        db = urlsplit(env["DATABASE_URL"])
        assert (db.hostname, db.port, db.path) == ("postgres", 5432, "/" + postgres_env["POSTGRES_DB"]), name
        assert db.password == postgres_env["POSTGRES_PASSWORD"], name
        amqp = urlsplit(env["AMQP_URL"])
        assert (amqp.hostname, amqp.port) == ("rabbitmq", 5672), name
        assert (amqp.username, amqp.password) == (
            rabbit_env["RABBITMQ_DEFAULT_USER"],
            rabbit_env["RABBITMQ_DEFAULT_PASS"],
        ), name
        sim = urlsplit(env["SIM_BASE_URL"])
        assert (sim.hostname, str(sim.port)) == ("sifen-sim", sim_port), name
        assert len(env["MASTER_KEY"]) >= 16, name


def test_every_environment_variable_is_a_setting_the_services_read() -> None:
    known = {f.upper() for f in GatewaySettings.model_fields} | {"SIFENFLOW_TEST_CA_DIR"}
    for name, spec in _image_services().items():
        unknown = set(spec["environment"]) - known
        assert not unknown, f"{name}: {sorted(unknown)} is read by no setting"
        assert GatewaySettings(
            **{k.lower(): v for k, v in spec["environment"].items() if k != "SIFENFLOW_TEST_CA_DIR"}
        )


def test_services_start_after_a_healthy_database_and_broker_and_one_migration() -> None:
    services = _effective()
    for name in SERVICES:
        depends = services[name]["depends_on"]
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert depends["rabbitmq"] == {"condition": "service_healthy"}, name
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
    assert services["migrate"]["command"] == ["db", "migrate"]
    migrators = [n for n, s in _image_services().items() if s.get("command") == ["db", "migrate"]]
    assert migrators == ["migrate"]


def test_every_dependency_exists_is_acyclic_and_its_condition_can_be_met() -> None:
    services = _effective()
    for name, spec in services.items():
        for target, dep in spec["depends_on"].items():
            assert target in services, f"{name} depends on unknown {target}"
            target_spec = services[target]
            if dep["condition"] == "service_healthy":
                check = target_spec.get("healthcheck") or {}
                assert check.get("test") and not check.get("disable"), f"{target} has no healthcheck"
            if dep["condition"] == "service_completed_successfully":
                assert target_spec.get("restart") == "no", f"{target} is not a one-shot container"
    seen: dict[str, int] = {}

    def visit(name: str) -> None:
        assert seen.get(name) != 1, f"depends_on cycle through {name}"
        if seen.get(name) == 2:
            return
        seen[name] = 1
        for target in services[name]["depends_on"]:
            visit(target)
        seen[name] = 2

    for name in services:
        visit(name)


def test_health_checks_probe_the_port_each_service_listens_on() -> None:
    for name in SERVICES:
        spec = _effective()[name]
        probe = " ".join(spec["healthcheck"]["test"])
        assert f"127.0.0.1:{spec['environment']['HTTP_PORT']}/readyz" in probe, name
    gateway = _effective()["gateway"]
    assert gateway["ports"] == [f"8080:{gateway['environment']['HTTP_PORT']}"]


def test_nothing_outside_the_repository_is_mounted() -> None:
    named = set(effective_config(ENV).get("volumes") or {})
    for name, spec in _effective().items():
        for volume in spec.get("volumes") or []:
            source = volume.split(":", 1)[0]
            if source in named:
                continue
            assert source.startswith("./"), f"{name} mounts {source}"
            assert (ROOT / source).resolve().is_relative_to(ROOT), f"{name} mounts {source}"
            assert (ROOT / source).exists(), f"{name} mounts missing {source}"
        assert "SIFEN_REFERENCE_DIR" not in spec.get("environment", {}), name


def _bootstrap_commands(tmp_path: Path) -> list[list[str]]:
    """The sifenflow commands of bootstrap.sh, /config/ read from deploy/compose and the certificate
    it generates stood in by a file in ``tmp_path`` (click checks that files exist)."""
    script = (ROOT / "deploy/compose/bootstrap.sh").read_text(encoding="utf-8")
    script = script.replace("\\\n", " ")
    (tmp_path / "demo.p12").write_bytes(b"")
    commands = []
    for line in script.splitlines():
        words = shlex.split(line, comments=True) if not line.lstrip().startswith("#") else []
        if words[:1] == ["if"]:
            words = words[1:]
        if words[:1] == ["sifenflow"]:
            args = [
                # /tmp/ first: a checkout under /tmp must not have its own path rewritten
                w.replace("/tmp/", f"{tmp_path}/").replace("/config/", f"{ROOT}/deploy/compose/")
                for w in words[1:]
                if w not in {">/dev/null", "2>&1;", "then", "2>&1"}
            ]
            commands.append(args)
    assert [c[:2] for c in commands] == [["tenant", "show"], ["cert", "generate"], ["tenant", "create"]]
    return commands


def test_the_first_emisor_is_bootstrapped_once_for_the_simulator(tmp_path: Path) -> None:
    services = _effective()
    bootstrap = services["bootstrap"]
    assert bootstrap["restart"] == "no"
    assert bootstrap["entrypoint"] == ["/bin/sh", "/config/bootstrap.sh"]
    assert {"./deploy/compose:/config:ro"} <= set(bootstrap["volumes"])
    for command in _bootstrap_commands(tmp_path):
        _resolve(command)
    tenant_json = json.loads((ROOT / "deploy/compose/demo-tenant.json").read_text(encoding="utf-8"))
    tenant, issues = parse_tenant_input(tenant_json)
    assert tenant is not None, issues
    assert tenant.environment.value == "simulado"
    registry = load_registry_file(ROOT / "deploy/compose/sim-registry.json")
    (taxpayer,) = registry
    assert f"{taxpayer.ruc}-{taxpayer.dv}" == tenant.params["ruc"]
    assert tenant.csc_id is not None and taxpayer.csc[tenant.csc_id] == tenant.csc
    numbers = {t.numero for t in taxpayer.timbrados}
    assert {t.numero for t in tenant.timbrados} <= numbers
    assert "--registry" in services["sifen-sim"]["command"]
    ca_dirs = {
        services["sifen-sim"]["command"][services["sifen-sim"]["command"].index("--test-ca-dir") + 1],
        bootstrap["environment"]["SIFENFLOW_TEST_CA_DIR"],
    }
    assert len(ca_dirs) == 1, "the simulator must trust the CA that issues the demo certificate"
    assert services["sifen-sim"]["depends_on"]["bootstrap"]["condition"] == "service_completed_successfully"


def test_the_image_listens_on_all_interfaces_and_ships_no_reference_mount() -> None:
    dockerfile = (ROOT / "deploy/docker/Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^ENV .*HTTP_HOST=0\.0\.0\.0", dockerfile, re.M)
    assert "/sifen" not in dockerfile.replace("/sifen-sim", "").replace("/sifenflow", "")
    assert re.search(r'^ENTRYPOINT \["sifenflow"\]', dockerfile, re.M)
