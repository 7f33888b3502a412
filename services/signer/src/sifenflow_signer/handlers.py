"""Signer handlers: ``document.built`` → signed rDE (+QR) artifact + ``document.signed`` (effects
committed by the runtime's consumer with the inbox claim, grouped with concurrent deliveries)."""

from __future__ import annotations

from sifenflow_common.artifacts import MEDIA_XML
from sifenflow_common.messages.envelope import Envelope, Event, Message
from sifenflow_common.messages.events import DocumentBuilt, DocumentSigned, DocumentSigningFailed
from sifenflow_common.runtime.consumer import Append, Effects
from sifenflow_signer.ports import SignerDeps, SigningRefused


async def on_document_built(envelope: Envelope, message: Message, deps: SignerDeps) -> Effects:
    assert isinstance(message, DocumentBuilt)
    built = message
    unsigned = await deps.artifacts.get(built.xml_sha256)
    outcome: Event
    try:
        signed = await deps.signer.sign(envelope.tenant_id, unsigned)
    except SigningRefused as exc:
        outcome = DocumentSigningFailed(document_id=built.document_id, code=exc.code, message=exc.message)
    else:
        sha = await deps.artifacts.put(signed.xml, MEDIA_XML)
        outcome = DocumentSigned(
            document_id=built.document_id,
            cdc=built.cdc,
            signed_xml_sha256=sha,
            qr_url=signed.qr_url,
            sync=built.sync,
        )
    assert envelope.stream is not None and envelope.stream_version is not None
    return Effects(appends=[Append(envelope.stream, envelope.stream_version, [outcome])])
