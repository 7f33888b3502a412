"""Settings read once at startup from the environment (pydantic-settings), then passed down."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from sifenflow_common.bus.topology import RetryPolicy, Topology


class Settings(BaseSettings):
    """Every variable of every service. Names are the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_file=None)

    database_url: str | None = Field(
        default=None, description="PostgreSQL DSN; unset in `make run` → embedded Postgres"
    )
    amqp_url: str | None = Field(default=None, description="RabbitMQ URL; unset → in-process bus")
    sifen_reference_dir: Path | None = None
    log_level: str = "INFO"
    log_json: bool = True
    master_key: SecretStr | None = Field(default=None, description="encrypts tenant secrets (AES-GCM)")
    service_name: str = "sifenflow"
    service_version: str = "0.1.0"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, description="health/readiness/metrics port; 0 picks a free one")
    db_pool_min: int = 1
    db_pool_max: int = 10
    prefetch: int = Field(default=20, ge=1, description="unacked deliveries per queue and process")
    retry_max_attempts: int = Field(default=5, ge=1)
    retry_base_delay_ms: int = Field(default=500, ge=1)
    retry_backoff: float = Field(default=4.0, ge=1.0)
    bus_prefix: str = Field(default="", description="prefix of every exchange and queue name")
    shutdown_timeout_s: float = 30.0
    metrics_interval_s: float = Field(
        default=15.0, gt=0, description="how often queue depths and fleet gauges are sampled"
    )
    relay_batch_size: int = 200
    projection_batch_size: int = 500
    poll_interval_s: float = Field(default=0.05, description="idle poll of the outbox relay and projections")
    recovery_interval_s: float = Field(
        default=300.0, gt=0, description="how often the store service sweeps for waiting documents"
    )
    recovery_after_s: float = Field(
        default=900.0, gt=0, description="a document or lote not moved for this long is re-driven"
    )
    recovery_max_attempts: int = Field(
        default=3, ge=1, description="re-drives of one stream in one waiting state, then left alone"
    )
    cpu_nice: int = Field(
        default=0,
        ge=0,
        le=19,
        description="lower this process' CPU priority at startup (os.nice): background workers sharing "
        "a machine with the gateway keep the API's latency low under load",
    )

    @property
    def producer(self) -> str:
        return f"{self.service_name}/{self.service_version}"

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.retry_max_attempts, self.retry_base_delay_ms, self.retry_backoff)

    @property
    def topology(self) -> Topology:
        return Topology(self.bus_prefix)


def load_settings(**overrides: object) -> Settings:
    """Read the environment once (call it in ``main()``); ``overrides`` win over the environment."""
    return Settings(**overrides)  # type: ignore[arg-type]
