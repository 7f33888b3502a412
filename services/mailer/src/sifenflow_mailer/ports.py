"""What the mailer handlers need from the outside, as Protocols (adapters in service.py, fakes in tests)."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from typing import Protocol
from uuid import UUID

from sifenflow_common.kude.markup import Environment
from sifenflow_common.tenants.mail import MailSettings, SmtpConfig
from sifenflow_mailer.smtp import DeliveryResult


class MailSettingsSource(Protocol):
    """The tenant's SMTP settings with the password decrypted (None: unknown tenant)."""

    async def mail_settings(self, tenant_id: UUID) -> MailSettings | None: ...


class KudeSource(Protocol):
    """The document's KuDE PDF: from the shared cache, else rendered now and cached."""

    async def pdf(
        self, tenant_id: UUID, document_id: UUID, signed_xml: bytes, *, environment: Environment | None
    ) -> bytes: ...


class MailTransport(Protocol):
    """Sends one message; raises ``smtp.SmtpDeliveryError`` (``transient`` says retry or give up)."""

    async def send(
        self, message: EmailMessage, smtp: SmtpConfig, recipients: Sequence[str]
    ) -> DeliveryResult: ...
