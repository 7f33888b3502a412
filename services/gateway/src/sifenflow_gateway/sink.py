"""Where accepted documents go: the port and the adapter used until the event store is wired."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Protocol

from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.model import AcceptedDocument


class RequestedSink(Protocol):
    """Appends DocumentRequested (event store + outbox) inside the intake transaction `conn`."""

    async def append_requested(
        self,
        conn: Any,
        tenant: Tenant,
        documents: Sequence[AcceptedDocument],
        *,
        correlation_id: uuid.UUID,
        sync: bool,
    ) -> None: ...


class IntakeOnlySink:
    """No pipeline attached: documents stay recorded in gateway_documents as Generado."""

    async def append_requested(
        self,
        conn: Any,
        tenant: Tenant,
        documents: Sequence[AcceptedDocument],
        *,
        correlation_id: uuid.UUID,
        sync: bool,
    ) -> None:
        return None
