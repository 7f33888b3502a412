"""Where and how the SIFEN client connects: environment, base URL, timeouts, content type."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Environment(StrEnum):
    SIMULADO = "simulado"  # our simulator (sifenflow sim), "ambiente no conectado a la SET"
    TEST = "test"  # sifen-test.set.gov.py
    PRODUCCION = "produccion"  # sifen.set.gov.py


# sifen-protocol.md §1.1 (hosts of the WSDLs' soap12:address); simulado is the local default.
DEFAULT_BASE_URLS: dict[Environment, str] = {
    Environment.SIMULADO: "http://127.0.0.1:8081",
    Environment.TEST: "https://sifen-test.set.gov.py",
    Environment.PRODUCCION: "https://sifen.set.gov.py",
}

# Peers send application/xml; SOAP 1.2's own type is application/soap+xml (§1.3: UNCERTAIN which one
# SIFEN requires, so it is configurable).
DEFAULT_CONTENT_TYPE = "application/xml; charset=utf-8"
REQUESTER_RUC_HEADER = "X-Sifenflow-Ruc"
SOAP12_CONTENT_TYPE = "application/soap+xml; charset=utf-8"


@dataclass(frozen=True, slots=True)
class SifenClientConfig:
    environment: Environment = Environment.SIMULADO
    base_url: str | None = None  # overrides the environment's default host
    connect_timeout: float = 15.0  # Roshka's values (§1.3)
    read_timeout: float = 45.0
    total_timeout: float | None = 90.0
    content_type: str = DEFAULT_CONTENT_TYPE
    user_agent: str = "sifenflow/0.1"
    max_response_bytes: int = 20 * 1024 * 1024
    # The emisor on whose behalf the client calls, sent as REQUESTER_RUC_HEADER. Only the simulator
    # reads it, and only over plain HTTP ("ambiente no conectado"), where no client certificate
    # says who is calling; set it for simulated tenants only.
    requester_ruc: str | None = None

    @property
    def resolved_base_url(self) -> str:
        return (self.base_url or DEFAULT_BASE_URLS[self.environment]).rstrip("/")
