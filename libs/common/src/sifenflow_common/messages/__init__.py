"""Message contracts: the envelope, commands, events and the registry. Pure: no I/O."""

from sifenflow_common.messages.envelope import (
    Command,
    Envelope,
    Event,
    Kind,
    Message,
    document_stream,
    lote_stream,
    stream_category,
)
from sifenflow_common.messages.registry import MessageRegistry, UnknownMessageType, default_registry

__all__ = [
    "Command",
    "Envelope",
    "Event",
    "Kind",
    "Message",
    "MessageRegistry",
    "UnknownMessageType",
    "default_registry",
    "document_stream",
    "lote_stream",
    "stream_category",
]
