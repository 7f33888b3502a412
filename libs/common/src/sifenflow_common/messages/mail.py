"""Mail events of a document (stream ``document-<uuid>``), so the document's history shows them.

``kude.email_requested``: someone asked to (re-)send the email (``POST /{t}/de/email``), optionally
to other addresses. ``kude.email_failed``: the mailer gave up on an email (permanent SMTP failure,
invalid address, no recipient for an explicit request, or transient failures on every attempt). A
delivered email is ``kude.emailed`` (``events.KudeEmailed``).
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from sifenflow_common.messages.envelope import Event

Reason = Literal["aprobado", "cancelado"]


class KudeEmailRequested(Event):
    TYPE: ClassVar[str] = "kude.email_requested"
    document_id: UUID
    cdc: str
    to: tuple[str, ...] = ()  # empty: the receptor's addresses (cliente.email / dEmailRec)
    reason: Reason = "aprobado"


class KudeEmailFailed(Event):
    TYPE: ClassVar[str] = "kude.email_failed"
    document_id: UUID
    cdc: str
    to: tuple[str, ...] = ()
    code: str  # SMTP_RECHAZADO, MAIL_DESTINATARIO_INVALIDO, SMTP_NO_CONFIGURADO, ...
    message: str  # Spanish
    smtp_code: int | None = None
    reason: Reason = "aprobado"
    attempts: int | None = None  # set when transient failures (4xx, connection) exhausted the retries


MAIL_EVENTS: tuple[type[Event], ...] = (KudeEmailRequested, KudeEmailFailed)
