"""StatusReader used until the event-store read model is wired: no pipeline, nothing to wait for;
responses then report the intake situacion (Generado / Borrador)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sifenflow_gateway.model import DocumentStatus


class NoPipelineStatusReader:
    async def statuses(
        self, tenant_id: uuid.UUID, document_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, DocumentStatus]:
        return {}

    async def wait_final(
        self, tenant_id: uuid.UUID, document_ids: Sequence[uuid.UUID], wait_seconds: float
    ) -> dict[uuid.UUID, DocumentStatus]:
        return {}

    async def wait_signed(
        self, tenant_id: uuid.UUID, document_ids: Sequence[uuid.UUID], wait_seconds: float
    ) -> dict[uuid.UUID, DocumentStatus]:
        return {}
