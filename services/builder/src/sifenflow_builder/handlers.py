"""Builder handlers: ``document.requested`` → unsigned rDE artifact + ``document.built``.

The handler does the slow work (engine) and returns the effects; the runtime's consumer commits
them in the one short transaction: inbox claim + append at the version the request was stored at
(optimistic concurrency) + outbox, grouped with other deliveries handled at the same time.
"""

from __future__ import annotations

import json
from typing import Any

from sifenflow_builder.ports import BuildContext, BuilderDeps
from sifenflow_common.artifacts import MEDIA_XML
from sifenflow_common.errors import DocumentInvalid
from sifenflow_common.messages.envelope import Envelope, Event, Message
from sifenflow_common.messages.events import (
    DocumentBuildFailed,
    DocumentBuilt,
    DocumentRequested,
    Issue,
)
from sifenflow_common.runtime.consumer import Append, Effects


async def on_document_requested(envelope: Envelope, message: Message, deps: BuilderDeps) -> Effects:
    assert isinstance(message, DocumentRequested)
    requested = message
    request = json.loads(await deps.artifacts.get(requested.request_sha256))
    outcome: Event
    try:
        context, data = await _context(envelope, request, deps)
        # ~1 ms of CPU: inline is cheaper than a thread hand-off (the GIL serialises it anyway);
        # scale the builder with processes.
        built = deps.engine.build(context.params, data, environment=context.environment)
    except DocumentInvalid as exc:
        outcome = DocumentBuildFailed(
            document_id=requested.document_id,
            issues=tuple(Issue(code=i.code, path=i.path, message=i.message) for i in exc.issues),
        )
    except LookupError:
        outcome = DocumentBuildFailed(
            document_id=requested.document_id,
            issues=(Issue(code="EMISOR_DESCONOCIDO", path="tenant", message="El emisor no existe"),),
        )
    else:
        xml_sha256 = await deps.artifacts.put(built.xml, MEDIA_XML)
        outcome = DocumentBuilt(
            document_id=requested.document_id, cdc=built.cdc, xml_sha256=xml_sha256, sync=requested.sync
        )
    assert envelope.stream is not None and envelope.stream_version is not None
    return Effects(appends=[Append(envelope.stream, envelope.stream_version, [outcome])])


async def _context(
    envelope: Envelope, request: dict[str, Any], deps: BuilderDeps
) -> tuple[BuildContext, dict[str, Any]]:
    """The gateway freezes the emisor params and environment in the request artifact at acceptance
    (``sifenflow.document-request/1``), so a later change of the tenant does not alter a document
    whose CDC is already issued; a bare FacturaSend ``data`` object takes the tenant's current ones."""
    if "data" in request and "params" in request:
        return BuildContext(request["params"], str(request.get("environment", "test"))), request["data"]
    return await deps.tenants.context(envelope.tenant_id), request
