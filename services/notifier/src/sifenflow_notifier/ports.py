"""What the notifier needs from the outside (Protocols); the Postgres repository implements them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from sifenflow_common.webhooks.model import AttemptResult, ClaimedDelivery, NewDelivery, Subscription


class DeliveryQueue(Protocol):
    async def matching(self, tenant_id: uuid.UUID, event_type: str) -> list[Subscription]: ...
    async def enqueue(self, deliveries: Sequence[NewDelivery]) -> int: ...


class DeliveryStore(Protocol):
    async def claim(self, limit: int, lease_s: float) -> list[ClaimedDelivery]: ...
    async def record(
        self, delivery: ClaimedDelivery, result: AttemptResult, next_attempt_at: datetime | None
    ) -> None: ...
    def open_secret(self, subscription_id: uuid.UUID, sealed: str) -> str: ...
