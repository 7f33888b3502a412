"""Subscriptions and deliveries as plain values (no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Subscription:
    id: uuid.UUID
    tenant_id: uuid.UUID
    url: str
    event_types: tuple[str, ...]
    description: str | None
    active: bool
    created_at: datetime

    def public_view(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "url": self.url,
            "eventos": list(self.event_types),
            "descripcion": self.description,
            "activo": self.active,
            "creado": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class NewDelivery:
    id: uuid.UUID
    subscription_id: uuid.UUID
    tenant_id: uuid.UUID
    event_type: str
    source_message_id: uuid.UUID
    ordering_key: str
    body: str
    position: int = 0  # the source event's stream version (order within ordering_key)


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery leased to one notifier for one attempt."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    tenant_id: uuid.UUID
    url: str
    secret_sealed: str
    body: str
    attempt: int
    created_at: datetime
    expires_at: datetime
    subscription_active: bool


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: uuid.UUID
    subscription_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    body: str

    def public_view(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": str(self.id),
            "evento": self.event_type,
            "estado": self.status,
            "intentos": self.attempts,
            "ultimoCodigoHttp": self.last_status_code,
            "ultimoError": self.last_error,
            "proximoIntento": iso(self.next_attempt_at) if self.status == "pending" else None,
            "ultimoIntento": iso(self.last_attempt_at),
            "entregado": iso(self.delivered_at),
            "creado": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class AttemptResult:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
