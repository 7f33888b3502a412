"""The one envelope every command and event travels in (style §4).

Payloads are small typed models (`Message` subclasses); XML and PDF never travel in messages, only
the sha256 of an artifact. The wire ``type`` is a stable dotted name, never a Python path.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Kind = Literal["command", "event"]


class Message(BaseModel):
    """Base of every typed payload. Subclasses set ``TYPE`` (dotted, lower case) and ``KIND``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    TYPE: ClassVar[str]
    KIND: ClassVar[Kind]
    SCHEMA_VERSION: ClassVar[int] = 1


class Command(Message):
    KIND: ClassVar[Kind] = "command"


class Event(Message):
    KIND: ClassVar[Kind] = "event"


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    message_id: UUID
    type: str
    schema_version: int = 1
    kind: Kind
    occurred_at: AwareDatetime
    tenant_id: UUID
    correlation_id: UUID
    causation_id: UUID | None = None
    stream: str | None = None
    stream_version: int | None = None
    producer: str
    payload: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def wrap(
        cls,
        message: Message,
        *,
        tenant_id: UUID,
        producer: str,
        correlation_id: UUID | None = None,
        causation_id: UUID | None = None,
        message_id: UUID | None = None,
        occurred_at: datetime | None = None,
    ) -> Envelope:
        """A new envelope around ``message``; a fresh correlation id when none is given."""
        mid = message_id or uuid4()
        return cls(
            message_id=mid,
            type=message.TYPE,
            schema_version=message.SCHEMA_VERSION,
            kind=message.KIND,
            occurred_at=occurred_at or datetime.now(UTC),
            tenant_id=tenant_id,
            correlation_id=correlation_id or mid,
            causation_id=causation_id,
            producer=producer,
            payload=message.model_dump(mode="json"),
        )

    def caused(self, message: Message, *, producer: str, message_id: UUID | None = None) -> Envelope:
        """An envelope for a message caused by this one: same tenant and correlation."""
        return Envelope.wrap(
            message,
            tenant_id=self.tenant_id,
            producer=producer,
            correlation_id=self.correlation_id,
            causation_id=self.message_id,
            message_id=message_id,
        )

    def at(self, stream: str, stream_version: int) -> Envelope:
        """This envelope as appended to ``stream`` at ``stream_version``."""
        return self.model_copy(update={"stream": stream, "stream_version": stream_version})

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, body: bytes) -> Envelope:
        return cls.model_validate_json(body)


def stream_category(stream: str) -> str:
    """Category of a stream name: the text before the first ``-`` (``document-<uuid>`` → ``document``)."""
    return stream.split("-", 1)[0]


def document_stream(document_id: UUID) -> str:
    return f"document-{document_id}"


def lote_stream(lote_id: UUID) -> str:
    return f"lote-{lote_id}"
