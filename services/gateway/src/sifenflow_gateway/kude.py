"""The gateway's view of KuDE PDFs, re-sent emails and per-tenant mail settings (issue 7).

The renderer itself is the shared pure library ``sifenflow_common.kude`` (the gateway never imports
the kude service): a single KuDE is taken from the shared cache (``kude_pdfs`` + artifacts) or
rendered in the gateway's own render thread on first request and cached; a batch of 2-50 CDCs is
rendered as one PDF. A re-send appends ``kude.email_requested`` to the document's stream (outbox →
mailer), so the request and its outcome are in the document's history.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from sifenflow_common.kude.markup import Environment, Format
from sifenflow_common.messages.mail import Reason
from sifenflow_common.tenants.mail import MailInput, MailSettings
from sifenflow_common.tenants.model import Tenant


class KudeDocuments(Protocol):
    async def pdf(
        self, tenant: Tenant, document_id: uuid.UUID, signed_xml: bytes, format: Format
    ) -> bytes: ...

    async def render_many(self, tenant: Tenant, signed_xmls: Sequence[bytes], format: Format) -> bytes: ...

    async def request_email(
        self,
        tenant: Tenant,
        document_id: uuid.UUID,
        cdc: str,
        to: tuple[str, ...],
        reason: Reason,
        correlation_id: uuid.UUID,
    ) -> None: ...

    async def mail_settings(self, tenant_id: uuid.UUID) -> MailSettings | None: ...

    async def update_mail_settings(self, tenant_id: uuid.UUID, data: MailInput) -> MailSettings | None: ...


def environment_of(tenant: Tenant) -> Environment:
    value = tenant.environment.value
    assert value in ("simulado", "test", "produccion")
    return value  # type: ignore[return-value]
