"""Wire type → payload model. Parsing an envelope yields its typed, frozen message."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

from sifenflow_common.messages.commands import ALL_COMMANDS
from sifenflow_common.messages.envelope import Envelope, Message
from sifenflow_common.messages.events import ALL_EVENTS
from sifenflow_common.messages.lifecycle import LIFECYCLE_EVENTS
from sifenflow_common.messages.mail import MAIL_EVENTS
from sifenflow_common.messages.tenant import TENANT_EVENTS

M = TypeVar("M", bound=Message)


class UnknownMessageType(LookupError):
    def __init__(self, type_: str, schema_version: int) -> None:
        super().__init__(f"unknown message type {type_!r} v{schema_version}")
        self.type = type_
        self.schema_version = schema_version


class MessageRegistry:
    def __init__(self, models: Iterable[type[Message]] = ()) -> None:
        self._models: dict[tuple[str, int], type[Message]] = {}
        for model in models:
            self.register(model)

    def register(self, model: type[Message]) -> None:
        key = (model.TYPE, model.SCHEMA_VERSION)
        existing = self._models.get(key)
        if existing is not None and existing is not model:
            raise ValueError(f"wire type {model.TYPE!r} v{model.SCHEMA_VERSION} already registered")
        self._models[key] = model

    def model_for(self, type_: str, schema_version: int = 1) -> type[Message]:
        try:
            return self._models[(type_, schema_version)]
        except KeyError:
            raise UnknownMessageType(type_, schema_version) from None

    def parse(self, envelope: Envelope) -> Message:
        """The typed payload; raises pydantic ``ValidationError`` on a malformed payload."""
        return self.model_for(envelope.type, envelope.schema_version).model_validate(envelope.payload)

    def parse_as(self, envelope: Envelope, model: type[M]) -> M:
        message = self.parse(envelope)
        if not isinstance(message, model):
            raise TypeError(f"{envelope.type} is not a {model.__name__}")
        return message

    def types(self) -> Mapping[str, type[Message]]:
        return {t: m for (t, _), m in self._models.items()}


def default_registry() -> MessageRegistry:
    """Every command and event of the document lifecycle."""
    return MessageRegistry([*ALL_COMMANDS, *ALL_EVENTS, *MAIL_EVENTS, *LIFECYCLE_EVENTS, *TENANT_EVENTS])
