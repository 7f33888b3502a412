"""Event store: port and errors (ports.py), Postgres and in-memory adapters, subscriptions."""

from sifenflow_common.eventstore.ports import (
    START,
    ConcurrencyError,
    DuplicateMessage,
    EventStore,
    Position,
    RecordedEvent,
    StoreTransaction,
)

__all__ = [
    "START",
    "ConcurrencyError",
    "DuplicateMessage",
    "EventStore",
    "Position",
    "RecordedEvent",
    "StoreTransaction",
]
