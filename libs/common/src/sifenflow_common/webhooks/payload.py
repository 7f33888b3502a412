"""The JSON body of a delivery: ``{id, type, created_at, tenant_id, data}``.

``id`` is the delivery id: the same on every retry and replay, so receivers deduplicate on it.
It is derived from the subscription and the source event, so consuming an event twice yields the
same delivery (and the queue's unique key drops the copy)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4a8e-9d59-2f3b8a0c7e11")


def delivery_id(subscription_id: uuid.UUID, source_message_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"{subscription_id}:{source_message_id}")


def body(
    *,
    delivery: uuid.UUID,
    event_type: str,
    tenant_id: uuid.UUID,
    occurred_at: datetime,
    data: dict[str, Any],
) -> str:
    document = {
        "id": str(delivery),
        "type": event_type,
        "created_at": occurred_at.isoformat(),
        "tenant_id": str(tenant_id),
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)
