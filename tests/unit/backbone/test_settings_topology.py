"""Settings read once from the environment; topology names and retry delays (style §3, §8)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sifenflow_common.bus.topology import RetryPolicy, Topology
from sifenflow_common.db.pool import censor_dsn
from sifenflow_common.runtime.settings import load_settings

pytestmark = pytest.mark.unit


def test_settings_come_from_environment_and_are_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:secret@db/x")
    monkeypatch.setenv("AMQP_URL", "amqp://guest:guest@mq/")
    monkeypatch.setenv("MASTER_KEY", "k" * 32)
    monkeypatch.setenv("RETRY_MAX_ATTEMPTS", "3")
    settings = load_settings(service_name="signer")
    assert settings.database_url == "postgresql://u:secret@db/x"
    assert settings.producer == "signer/0.1.0"
    assert "k" * 32 not in repr(settings)  # SecretStr never printed
    assert settings.retry_policy.max_attempts == 3
    with pytest.raises(ValidationError):
        settings.log_level = "DEBUG"  # type: ignore[misc]


def test_retry_delays_increase() -> None:
    assert RetryPolicy(max_attempts=4, base_delay_ms=100, backoff=3).delays_ms() == [100, 300, 900]


def test_topology_names() -> None:
    t = Topology("x.")
    assert t.queue("signer", "document.built") == "x.signer.document.built"
    assert t.events_exchange == "x.sifenflow.events" and t.commands_exchange == "x.sifenflow.commands"
    assert t.retry_queue("q", 50) == "q.retry.50" and t.parking_queue("q") == "q.dlq"


def test_dsn_is_censored_for_logs() -> None:
    assert censor_dsn("postgresql://u:secret@db:5432/x") == "postgresql://u:***@db:5432/x"
