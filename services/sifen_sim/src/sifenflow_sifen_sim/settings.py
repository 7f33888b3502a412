"""Configuration of the simulator (read once by the CLI, passed down frozen)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SimSettings:
    host: str = "127.0.0.1"
    port: int = 8081
    data_dir: Path | None = None  # holds sim.sqlite3; None keeps everything in memory
    registry_file: Path | None = None  # JSON of taxpayers seeded at start (upserted)
    faults_file: Path | None = None  # JSON FaultPlan applied at start
    seed: int = 0  # fault-injection seed when no faults file gives one
    tls: bool = False
    server_cert_file: Path | None = None  # PEM chain of the server certificate
    server_key_file: Path | None = None
    client_ca_file: Path | None = None  # CAs trusted for client certificates (default: the test CA)
    test_ca_dir: Path | None = None  # test CA (sifen.test_ca) trusted for signatures and TLS clients
    require_client_cert: bool = True  # mutual TLS, as SIFEN (sifen-protocol.md §1.3)
    lote_delay_seconds: float = 0.0  # minimum time a lote stays "0361 en procesamiento"
    lote_workers: int = 0  # processes for the pure checks of lotes; 0 = a thread of this process
    # /admin/* (but /admin/health) always requires "Authorization: Bearer <token>": this one, or the
    # one in <data_dir>/admin_token, or one generated for the run (admin_token.py)
    admin_token: str | None = None
    max_body_bytes: int = 12 * 1024 * 1024

    @property
    def database_path(self) -> str:
        return str(self.data_dir / "sim.sqlite3") if self.data_dir is not None else ":memory:"
