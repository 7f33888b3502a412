"""Events (MT v150 §11): ``sifen_event.requested`` → the event XML built with the common builders
(``sifen.events.build_event``) and signed with the tenant's certificate (``sign_event``) →
``sifen_event.signed`` with the ``rGesEve`` artifact, or ``event.rejected`` (not sent) when the body
is invalid or the tenant cannot sign."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from uuid import UUID

from sifenflow_common.artifacts import MEDIA_XML, ArtifactStore
from sifenflow_common.errors import DocumentInvalid
from sifenflow_common.eventstore.ports import EventStore
from sifenflow_common.messages.envelope import Envelope, Event, Message
from sifenflow_common.messages.events import Issue
from sifenflow_common.messages.lifecycle import SifenEventRejected, SifenEventRequested, SifenEventSigned
from sifenflow_common.runtime.consumer import Append, Effects
from sifenflow_common.sifen.certificates import CertificateError, CredentialsCache
from sifenflow_common.sifen.events import build_event, sign_event
from sifenflow_common.sifen.signature import serialize
from sifenflow_signer.keystore import KeyMaterialSource
from sifenflow_signer.ports import SigningRefused


class EventSigner:
    """Builds and signs one event with the tenant's certificate (no CSC needed for events)."""

    def __init__(self, source: KeyMaterialSource, cache: CredentialsCache | None = None) -> None:
        self._source = source
        self._cache = cache or CredentialsCache(max_entries=256)

    async def sign(self, tenant_id: UUID, kind: str, fields: dict[str, object], sifen_id: int) -> bytes:
        try:
            material = await self._source.key_material(tenant_id)
        except LookupError as exc:
            raise SigningRefused("EMISOR_DESCONOCIDO", "La empresa no existe") from exc
        if not material.p12:
            raise SigningRefused("CERTIFICADO_FALTANTE", "La empresa no tiene certificado cargado")
        p12, password = material.p12, material.password or ""

        def work() -> bytes:
            credentials = self._cache.get(str(tenant_id), p12, password)
            return serialize(sign_event(build_event(kind, fields, event_id=sifen_id), credentials))

        try:
            return await asyncio.to_thread(work)
        except CertificateError as exc:
            raise SigningRefused(exc.code, exc.message) from exc


@dataclass(frozen=True)
class EventSignerDeps:
    store: EventStore
    artifacts: ArtifactStore
    signer: EventSigner


async def on_sifen_event_requested(envelope: Envelope, message: Message, deps: EventSignerDeps) -> Effects:
    assert isinstance(message, SifenEventRequested)
    req = message
    outcome: Event
    try:
        xml = await deps.signer.sign(envelope.tenant_id, req.kind, dict(req.fields), req.sifen_id)
    except DocumentInvalid as exc:
        first = exc.issues[0]
        outcome = SifenEventRejected(
            event_id=req.event_id,
            kind=req.kind,
            document_id=req.document_id,
            cdc=req.cdc,
            sifen_code=first.code,
            sifen_message=str(exc),
            sent=False,
            issues=tuple(Issue(code=i.code, path=i.path, message=i.message) for i in exc.issues),
        )
    except SigningRefused as exc:
        outcome = SifenEventRejected(
            event_id=req.event_id,
            kind=req.kind,
            document_id=req.document_id,
            cdc=req.cdc,
            sifen_code=exc.code,
            sifen_message=exc.message,
            sent=False,
        )
    else:
        sha = await deps.artifacts.put(xml, MEDIA_XML)
        outcome = SifenEventSigned(
            event_id=req.event_id,
            sifen_id=req.sifen_id,
            kind=req.kind,
            document_id=req.document_id,
            cdc=req.cdc,
            fields=req.fields,
            signed_sha256=sha,
        )
    assert envelope.stream is not None
    # the document stream may have moved on (other events): append at its current version; a
    # repeat is caught by the deterministic message id
    version = await deps.store.stream_version(envelope.stream)
    return Effects(appends=[Append(envelope.stream, version, [outcome])])
