"""What the signer needs: the artifact store, the event store and a per-tenant signer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from sifenflow_common.artifacts import ArtifactStore
from sifenflow_common.eventstore.ports import EventStore


@dataclass(frozen=True, slots=True)
class SignedXml:
    xml: bytes  # signed rDE with gCamFuFD/dCarQR
    qr_url: str


class SigningRefused(Exception):
    """The tenant cannot sign (no certificate, expired, RUC mismatch): a permanent failure."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class TenantSigner(Protocol):
    async def sign(self, tenant_id: UUID, unsigned_xml: bytes) -> SignedXml:
        """Sign with the tenant's key and add the QR with its CSC; raises ``SigningRefused``."""


@dataclass(frozen=True, slots=True)
class SignerDeps:
    store: EventStore
    artifacts: ArtifactStore
    signer: TenantSigner
    producer: str = "signer/0.1.0"
