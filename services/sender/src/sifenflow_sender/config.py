"""Sender settings from the environment (``SENDER_*``), read once at startup.

Defaults follow sifen-protocol.md §2.3 for the real SIFEN: first siResultLoteDE ~10 s after 0300
(or dTpoProces), then back off ×2 up to a few minutes. ``SimulatorSenderSettings`` polls much
sooner, for the bundled simulator (``sifenflow run``, tests, benchmarks).
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sifenflow_sender.ports import SenderConfig


class SenderSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_prefix="SENDER_")

    lote_max: int = Field(default=50, ge=1, le=50, description="DE per lote (MT v150: at most 50)")
    lote_max_wait_s: float = Field(default=0.3, gt=0, description="flush a partial lote after this")
    first_poll_s: float = Field(default=10.0, gt=0, description="wait before the first lote query")
    poll_backoff: float = Field(default=2.0, ge=1.0)
    poll_max_s: float = Field(default=300.0, gt=0)
    max_poll_attempts: int = Field(default=40, ge=1, description="then reconcile per CDC")
    resend_delay_s: float = Field(default=10.0, ge=0, description="pause before resending CDCs")

    def sender_config(self) -> SenderConfig:
        return SenderConfig(
            lote_max=self.lote_max,
            lote_max_wait_s=self.lote_max_wait_s,
            first_poll_s=self.first_poll_s,
            poll_backoff=self.poll_backoff,
            poll_max_s=self.poll_max_s,
            max_poll_attempts=self.max_poll_attempts,
            resend_delay_s=self.resend_delay_s,
        )


class SimulatorSenderSettings(SenderSettings):
    """The simulator answers in milliseconds: poll after 0.5 s, back off ×1.5 up to 5 s."""

    first_poll_s: float = 0.5
    poll_backoff: float = 1.5
    poll_max_s: float = 5.0
    resend_delay_s: float = 1.0
