"""`sifenflow serve` dispatch and `sifenflow bulk` progress lines."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from sifenflow_cli.commands.bulk import progress_line
from sifenflow_cli.commands.serve import SERVICES, ServiceUnavailable, entry_point
from sifenflow_cli.main import cli

pytestmark = pytest.mark.unit


def test_store_is_served_through_its_package_entry_point() -> None:
    assert callable(entry_point("store"))


def test_a_service_without_package_gives_a_stable_error_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ServiceUnavailable):
        entry_point("not_built_yet")  # no sifenflow_not_built_yet package
    import sifenflow_cli.commands.serve as serve

    def unavailable(name: str) -> None:
        raise ServiceUnavailable(name)

    monkeypatch.setattr(serve, "entry_point", unavailable)
    result = CliRunner().invoke(cli, ["serve", "notifier"])
    assert result.exit_code == 2
    error = json.loads(result.output.strip().splitlines()[-1])
    assert error["code"] == "SERVICIO_NO_DISPONIBLE" and error["path"] == "service"


@pytest.mark.parametrize(("env", "niceness"), [({}, []), ({"CPU_NICE": "10"}, [10])])
def test_cpu_nice_lowers_the_priority_of_a_served_process_before_it_starts(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], niceness: list[int]
) -> None:
    import sifenflow_cli.commands.serve as serve

    events: list[object] = []
    monkeypatch.setattr(serve.os, "nice", events.append)
    monkeypatch.setattr(serve, "entry_point", lambda name: lambda settings: events.append("run"))
    result = CliRunner().invoke(cli, ["serve", "notifier"], env=env)
    assert result.exit_code == 0, result.output
    assert events == [*niceness, "run"]


def test_cpu_nice_out_of_range_is_refused() -> None:
    from pydantic import ValidationError

    from sifenflow_common.runtime.settings import load_settings

    with pytest.raises(ValidationError):
        load_settings(cpu_nice=20)


def test_unknown_service_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["serve", "bilder"])
    assert result.exit_code == 2 and "bilder" in result.output
    assert set(SERVICES) == {"gateway", "builder", "signer", "sender", "store", "kude", "mailer", "notifier"}


def test_progress_line_counts_accepted_and_failed() -> None:
    view = {"status": "procesando", "total": 10_000, "accepted": 2_450, "failed": 50}
    line = progress_line(view, elapsed=5.0)
    assert "procesando" in line and "2500/10000" in line and "( 25.0%)" in line
    assert "aceptados=2450" in line and "con_error=50" in line and "(490 docs/s)" in line
