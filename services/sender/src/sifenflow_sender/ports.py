"""The sender's view of SIFEN and its dependencies (Protocols; adapters are wired in service.py).

Replies carry the exchanged XML so every call is kept as artifacts for the audit trail.
``SifenUnavailable`` means the outcome is unknown (the request may have arrived): the caller must
ask SIFEN (consulta DE) before sending the same CDC again. ``SifenRefused`` means SIFEN answered
and refused the request itself (e.g. 0301 lote no encolado).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from sifenflow_common.artifacts import ArtifactStore
from sifenflow_common.eventstore.ports import EventStore


@dataclass(frozen=True, slots=True)
class Exchange:
    request_xml: bytes = field(default=b"", repr=False)
    response_xml: bytes = field(default=b"", repr=False)


@dataclass(frozen=True, slots=True)
class DeOutcome:
    """A DE's result: ``status`` is dEstRes as SIFEN spells it; ``code``/``message`` the first
    gResProc (decide approval by dEstRes, never by code: sifen-protocol.md §3)."""

    cdc: str
    status: str
    code: str
    message: str
    protocol: str | None = None  # dProtAut

    @property
    def approved(self) -> bool:
        return self.status.strip().lower().startswith("aprobado")

    @property
    def with_observation(self) -> bool:
        return self.approved and "observ" in self.status.lower()


@dataclass(frozen=True, slots=True)
class SyncReply:
    outcome: DeOutcome
    exchange: Exchange


@dataclass(frozen=True, slots=True)
class LoteReceipt:
    code: str  # 0300 received
    message: str
    protocol: str  # dProtConsLote
    processing_seconds: int | None
    exchange: Exchange


@dataclass(frozen=True, slots=True)
class LotePoll:
    code: str  # 0361 in process, 0362 concluded, 0360 unknown lote, 0364 too late
    message: str
    results: tuple[DeOutcome, ...]
    exchange: Exchange


@dataclass(frozen=True, slots=True)
class EventReply:
    """siRecepEvento for one event: registered (0600, dProtAut) or not (code + message)."""

    accepted: bool
    status: str  # dEstRes
    code: str
    message: str
    protocol: str | None
    processed_at: datetime | None
    exchange: Exchange


@dataclass(frozen=True, slots=True)
class DeLookup:
    """siConsDE: ``found`` (0422) with the approval protocol, or not (0420)."""

    cdc: str
    found: bool
    code: str
    message: str
    protocol: str | None
    exchange: Exchange


class SifenUnavailable(Exception):
    """No usable answer: transport error, timeout, HTML page, 0161/0162. Outcome unknown."""

    def __init__(self, message: str, exchange: Exchange | None = None) -> None:
        super().__init__(message)
        self.exchange = exchange or Exchange()


class SifenRefused(Exception):
    """SIFEN answered and refused the request itself (0301 lote no encolado, 0160, 0340...)."""

    def __init__(self, code: str, message: str, exchange: Exchange | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.exchange = exchange or Exchange()


class SifenPort(Protocol):
    """One method per SIFEN operation the sender uses, on behalf of a tenant (its certificate,
    its environment)."""

    async def send_de(self, tenant_id: UUID, signed_xml: bytes) -> SyncReply: ...

    async def send_lote(self, tenant_id: UUID, signed_xmls: Sequence[bytes]) -> LoteReceipt: ...

    async def poll_lote(self, tenant_id: UUID, protocol: str) -> LotePoll: ...

    async def lookup_de(self, tenant_id: UUID, cdc: str) -> DeLookup: ...


class Clock(Protocol):
    async def sleep(self, seconds: float) -> None: ...


@dataclass(frozen=True, slots=True)
class SenderConfig:
    """Defaults as sifen-protocol.md §2.3 suggests for the real SIFEN (see ``config.py``)."""

    lote_max: int = 50  # MT v150: at most 50 DE per lote
    lote_max_wait_s: float = 0.3  # flush a partial lote after this wait
    first_poll_s: float = 10.0  # before the first siResultLoteDE
    poll_backoff: float = 2.0
    poll_max_s: float = 300.0
    max_poll_attempts: int = 40  # then reconcile per CDC (consulta DE)
    sifen_read_timeout_s: float = 45.0  # client: no byte from SIFEN for this long → outcome unknown
    sifen_total_timeout_s: float = 90.0
    # After an unknown or refused outcome, wait this long before asking SIFEN per CDC: longer than
    # the read timeout, so a request SIFEN was still working on when we gave up has finished.
    reconcile_pause_s: float = 60.0

    def __post_init__(self) -> None:
        if self.reconcile_pause_s <= self.sifen_read_timeout_s:
            raise ValueError(
                f"reconcile_pause_s ({self.reconcile_pause_s:g}) must exceed the SIFEN read timeout "
                f"({self.sifen_read_timeout_s:g}): a CDC asked about too early may still be in process"
            )


@dataclass(frozen=True, slots=True)
class SenderDeps:
    store: EventStore
    artifacts: ArtifactStore
    sifen: SifenPort
    clock: Clock
    config: SenderConfig = SenderConfig()
    producer: str = "sender/0.1.0"
