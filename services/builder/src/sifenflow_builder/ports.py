"""What the builder needs from the outside world, as Protocols (adapters live in service.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from sifenflow_common.artifacts import ArtifactStore
from sifenflow_common.eventstore.ports import EventStore


@dataclass(frozen=True, slots=True)
class BuildContext:
    """A tenant's emisor data as the engine takes it: the FacturaSend ``params`` and environment."""

    params: dict[str, Any]
    environment: str  # simulado | test | produccion


@dataclass(frozen=True, slots=True)
class BuiltXml:
    cdc: str
    xml: bytes  # unsigned rDE


class TenantParams(Protocol):
    async def context(self, tenant_id: UUID) -> BuildContext:
        """Raises ``LookupError`` when the tenant does not exist."""


class DocumentEngine(Protocol):
    def build(self, params: dict[str, Any], data: dict[str, Any], *, environment: str) -> BuiltXml:
        """Raises ``sifenflow_common.errors.DocumentInvalid`` with every issue of the document."""


@dataclass(frozen=True, slots=True)
class BuilderDeps:
    store: EventStore
    artifacts: ArtifactStore
    tenants: TenantParams
    engine: DocumentEngine
    producer: str = "builder/0.1.0"
