"""Envelope ↔ events row mapping shared by the Postgres store and subscriptions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sifenflow_common.eventstore.ports import Position, RecordedEvent
from sifenflow_common.messages.envelope import Envelope

EVENT_COLUMNS = (
    "global_position, transaction_id, stream_name, stream_version, message_id, type, schema_version, "
    "tenant_id, data, metadata, recorded_at"
)


def metadata_of(envelope: Envelope) -> str:
    return json.dumps(
        {
            "kind": envelope.kind,
            "occurred_at": envelope.occurred_at.isoformat(),
            "correlation_id": str(envelope.correlation_id),
            "causation_id": str(envelope.causation_id) if envelope.causation_id else None,
            "producer": envelope.producer,
        }
    )


def recorded_from_row(row: Mapping[str, Any]) -> RecordedEvent:
    meta = json.loads(row["metadata"])
    envelope = Envelope.model_validate(
        {
            "message_id": row["message_id"],
            "type": row["type"],
            "schema_version": row["schema_version"],
            "kind": meta["kind"],
            "occurred_at": meta["occurred_at"],
            "tenant_id": row["tenant_id"],
            "correlation_id": meta["correlation_id"],
            "causation_id": meta.get("causation_id"),
            "stream": row["stream_name"],
            "stream_version": row["stream_version"],
            "producer": meta["producer"],
            "payload": json.loads(row["data"]),
        }
    )
    return RecordedEvent(
        position=Position(row["transaction_id"], row["global_position"]),
        envelope=envelope,
        recorded_at=row["recorded_at"],
    )
