"""Webhook settings (environment ``WEBHOOK_*``), read once by the gateway and the notifier."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class WebhookSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_file=None, env_prefix="WEBHOOK_")

    allow_private_urls: bool = Field(default=False, description="allow loopback/private targets")
    timeout_s: float = Field(default=10.0, gt=0, description="per delivery attempt")
    max_age_s: float = Field(default=24 * 3600, gt=0, description="retries stop after this")
    base_delay_s: float = Field(default=5.0, gt=0, description="first retry delay")
    backoff: float = Field(default=2.0, ge=1.0)
    max_delay_s: float = Field(default=3600.0, gt=0)
    jitter: float = Field(default=0.2, ge=0, le=1, description="± fraction applied to each delay")
    concurrency: int = Field(default=32, ge=1, description="deliveries in flight per notifier")
    poll_interval_s: float = Field(default=0.2, gt=0)
    lease_margin_s: float = Field(default=30.0, gt=0)
    certificate_check_interval_s: float = Field(default=86400.0, gt=0, description="expiry check period")
