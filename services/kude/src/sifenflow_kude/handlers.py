"""kude service handlers: an approved document of a tenant that wants eager PDFs gets its KuDE
rendered, cached and recorded (``kude.rendered``).

``on_document_approved`` asks the eager policy first (per tenant, ``tenants.kude_eager``; or every
tenant with ``KUDE_EAGER=1``): otherwise the KuDE is rendered on first request (gateway) or when an
email needs it (mailer), through the same cache. Then it reloads the document stream, takes the
signed XML of its last ``document.signed``, gets the A4 PDF from the cache or renders it outside
any transaction, and appends ``kude.rendered`` at the version it read. A stream that already has
``kude.rendered`` is left alone, so redeliveries and replays render nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from sifenflow_common.artifacts import ArtifactStore
from sifenflow_common.eventstore.ports import EventStore
from sifenflow_common.messages.envelope import Envelope, Message, document_stream
from sifenflow_common.messages.events import DocumentApproved, DocumentSigned, KudeRendered
from sifenflow_common.messages.registry import MessageRegistry
from sifenflow_common.runtime.consumer import NOTHING, Append, Effects
from sifenflow_common.runtime.logging import get_logger

log = get_logger(__name__)

PDF_MEDIA_TYPE = "application/pdf"
EagerPolicy = Callable[[UUID], Awaitable[bool]]  # tenant → render at approval?


class SignedXmlMissing(LookupError):
    """The stream has no document.signed: nothing to render yet (the bus retries, then parks)."""


class PdfSource(Protocol):
    """``sifenflow_common.kude.cache.KudePdfs``: cached PDF or render + cache."""

    async def pdf(self, tenant_id: UUID, document_id: UUID, signed_xml: bytes) -> tuple[bytes, str]: ...


@dataclass
class KudeHandlerDeps:
    store: EventStore
    artifacts: ArtifactStore
    registry: MessageRegistry
    pdfs: PdfSource
    eager: EagerPolicy


async def on_document_approved(env: Envelope, msg: Message, deps: KudeHandlerDeps) -> Effects:
    assert isinstance(msg, DocumentApproved)
    if not await deps.eager(env.tenant_id):
        return NOTHING
    stream = document_stream(msg.document_id)
    recorded = await deps.store.read_stream(stream)
    version = recorded[-1].stream_version if recorded else 0
    signed: DocumentSigned | None = None
    for event in recorded:
        if event.envelope.type == KudeRendered.TYPE:
            log.info("kude already rendered", cdc=msg.cdc)
            return NOTHING
        if event.envelope.type == DocumentSigned.TYPE:
            signed = deps.registry.parse_as(event.envelope, DocumentSigned)
    if signed is None:
        raise SignedXmlMissing(f"{stream} has no {DocumentSigned.TYPE}")
    xml = await deps.artifacts.get(signed.signed_xml_sha256)
    _, pdf_sha256 = await deps.pdfs.pdf(env.tenant_id, msg.document_id, xml)
    rendered = KudeRendered(document_id=msg.document_id, cdc=msg.cdc, pdf_sha256=pdf_sha256)
    return Effects(appends=[Append(stream, version, [rendered])])


def handler_table(deps: KudeHandlerDeps) -> dict[str, Callable[[Envelope, Message], Awaitable[Effects]]]:
    """The one explicit routing table of the kude service."""

    async def approved(env: Envelope, msg: Message) -> Effects:
        return await on_document_approved(env, msg, deps)

    return {DocumentApproved.TYPE: approved}
