"""Commands (imperative): one handling service each, routed by type on ``sifenflow.commands``."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from sifenflow_common.messages.envelope import Command
from sifenflow_common.messages.events import LoteDocument, Sha256


class BuildDocument(Command):
    TYPE: ClassVar[str] = "document.build"
    document_id: UUID
    request_sha256: Sha256


class SignDocument(Command):
    TYPE: ClassVar[str] = "document.sign"
    document_id: UUID
    cdc: str
    xml_sha256: Sha256


class SendDocument(Command):
    """Send one signed document: sync reception when ``sync`` else queue it for a lote."""

    TYPE: ClassVar[str] = "document.send"
    document_id: UUID
    cdc: str
    document_type: int
    signed_xml_sha256: Sha256
    sync: bool = False


class SendLote(Command):
    TYPE: ClassVar[str] = "lote.send"
    lote_id: UUID
    document_type: int
    documents: tuple[LoteDocument, ...] = Field(min_length=1, max_length=50)


class PollLote(Command):
    TYPE: ClassVar[str] = "lote.poll"
    lote_id: UUID
    protocol: str
    attempt: int = 1


class ReconcileLote(Command):
    """Ask SIFEN per CDC (siConsDE) about a lote whose outcome is unknown or refused, after a
    pause; approve what SIFEN has and resend only the rest."""

    TYPE: ClassVar[str] = "lote.reconcile"
    lote_id: UUID
    reason: str


class RenderKude(Command):
    TYPE: ClassVar[str] = "kude.render"
    document_id: UUID
    cdc: str
    signed_xml_sha256: Sha256


class EmailKude(Command):
    TYPE: ClassVar[str] = "kude.email"
    document_id: UUID
    cdc: str
    pdf_sha256: Sha256
    to: tuple[str, ...]


ALL_COMMANDS: tuple[type[Command], ...] = (
    BuildDocument,
    SignDocument,
    SendDocument,
    SendLote,
    PollLote,
    ReconcileLote,
    RenderKude,
    EmailKude,
)
