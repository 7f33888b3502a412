"""Event store port: append with expected version, read streams, follow the global order.

A ``StoreTransaction`` is the one short transaction of a consumer (style §7): inbox claim, appends
(which also queue the events in the outbox) and extra outbox messages commit or vanish together.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol
from uuid import UUID

from sifenflow_common.messages.envelope import Envelope


class ConcurrencyError(Exception):
    """The stream is not at the expected version: reload, decide again, retry."""

    def __init__(self, stream: str, expected_version: int) -> None:
        super().__init__(f"stream {stream} is not at version {expected_version}")
        self.stream = stream
        self.expected_version = expected_version


class DuplicateMessage(Exception):
    """A message_id already in the store: the work was done before."""

    def __init__(self, stream: str, message_ids: Sequence[UUID] = ()) -> None:
        super().__init__(f"duplicate message id appending to {stream}")
        self.stream = stream
        self.message_ids = tuple(message_ids)


class Position(NamedTuple):
    """Place in the global order: (transaction_id, global_position)."""

    transaction_id: int
    global_position: int


START = Position(0, 0)


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    position: Position
    envelope: Envelope  # with stream and stream_version set
    recorded_at: datetime

    @property
    def stream(self) -> str:
        assert self.envelope.stream is not None
        return self.envelope.stream

    @property
    def stream_version(self) -> int:
        assert self.envelope.stream_version is not None
        return self.envelope.stream_version


@dataclass(frozen=True, slots=True)
class AppendRequest:
    stream: str
    expected_version: int
    events: Sequence[Envelope]


@dataclass(frozen=True, slots=True)
class PendingCommit:
    """The effects of handling one incoming message, to commit with its inbox claim."""

    message_id: UUID  # the incoming message (inbox key)
    appends: Sequence[AppendRequest] = ()
    messages: Sequence[Envelope] = ()  # extra outbox messages (commands)


CommitResult = bool | ConcurrencyError | DuplicateMessage  # True applied, False already processed


class StoreTransaction(Protocol):
    async def claim(self, consumer: str, message_id: UUID) -> bool:
        """Inbox: True the first time ``consumer`` sees ``message_id``, False for a duplicate."""

    async def claim_many(self, consumer: str, message_ids: Sequence[UUID]) -> set[UUID]:
        """``claim`` for many messages in one round trip: the ids claimed now (not seen before)."""

    async def append(
        self, stream: str, expected_version: int, events: Sequence[Envelope], *, publish: bool = True
    ) -> list[Envelope]:
        """Append at ``expected_version + 1..``; ``0`` means a new stream. Returns the stored
        envelopes (stream/stream_version set), queued in the outbox unless ``publish=False``.
        Raises ConcurrencyError or DuplicateMessage."""

    async def enqueue(self, messages: Sequence[Envelope]) -> None:
        """Queue messages (usually commands) in the outbox; published after commit by the relay."""

    async def stream_version(self, stream: str) -> int: ...

    async def read_stream(self, stream: str, from_version: int = 1) -> list[RecordedEvent]: ...

    async def read_streams(self, streams: Sequence[str]) -> dict[str, list[RecordedEvent]]:
        """Whole histories of several streams in one round trip (an unknown stream: empty list)."""

    async def append_many(self, appends: Sequence[AppendRequest]) -> list[Envelope]:
        """``append`` to several streams in one statement, all or nothing: ConcurrencyError when
        any stream is not at its expected version, DuplicateMessage for a message id seen before."""


class EventStore(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[StoreTransaction]: ...

    async def processed(self, consumer: str, message_id: UUID) -> bool:
        """Whether ``consumer`` already committed ``message_id`` (a cheap read before slow work)."""

    async def commit_batch(self, consumer: str, items: Sequence[PendingCommit]) -> list[CommitResult]:
        """Commit each item's inbox claim + appends + outbox atomically, as few transactions as
        possible (group commit); one result per item, a failed item never affects the others."""

    async def append(
        self, stream: str, expected_version: int, events: Sequence[Envelope], *, publish: bool = True
    ) -> list[Envelope]:
        """Append in a transaction of its own."""

    async def read_stream(self, stream: str, from_version: int = 1) -> list[RecordedEvent]: ...

    async def stream_version(self, stream: str) -> int: ...

    async def read_all(
        self, after: Position = START, limit: int = 500, categories: Sequence[str] | None = None
    ) -> list[RecordedEvent]:
        """Events after ``after`` in global order, only those no in-flight transaction can precede."""
