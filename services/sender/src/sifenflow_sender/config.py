"""Sender settings from the environment (``SENDER_*``), read once at startup.

Defaults follow sifen-protocol.md §2.3 for the real SIFEN: first siResultLoteDE ~10 s after 0300
(or dTpoProces), then back off ×2 up to a few minutes; the SIFEN client gives up after the peers'
45 s read timeout, and a lote whose outcome is unknown is asked about per CDC only after a longer
pause (``reconcile_pause_s``; the settings refuse a shorter one). ``SimulatorSenderSettings`` polls
much sooner, for the bundled simulator (``sifenflow run``, tests, benchmarks).
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
    sifen_read_timeout_s: float = Field(default=45.0, gt=0, description="SIFEN client read timeout")
    sifen_total_timeout_s: float = Field(default=90.0, gt=0, description="SIFEN client total timeout")
    reconcile_pause_s: float = Field(
        default=60.0, gt=0, description="pause before asking per CDC; must exceed the read timeout"
    )

    def sender_config(self) -> SenderConfig:
        return SenderConfig(
            lote_max=self.lote_max,
            lote_max_wait_s=self.lote_max_wait_s,
            first_poll_s=self.first_poll_s,
            poll_backoff=self.poll_backoff,
            poll_max_s=self.poll_max_s,
            max_poll_attempts=self.max_poll_attempts,
            sifen_read_timeout_s=self.sifen_read_timeout_s,
            sifen_total_timeout_s=self.sifen_total_timeout_s,
            reconcile_pause_s=self.reconcile_pause_s,
        )


class SimulatorSenderSettings(SenderSettings):
    """The simulator answers in milliseconds: poll after 0.5 s, back off ×1.5 up to 5 s; give up on
    an answer after 10 s and reconcile 12 s later."""

    first_poll_s: float = 0.5
    poll_backoff: float = 1.5
    poll_max_s: float = 5.0
    sifen_read_timeout_s: float = 10.0
    sifen_total_timeout_s: float = 30.0
    reconcile_pause_s: float = 12.0
