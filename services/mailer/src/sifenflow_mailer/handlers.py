"""mailer handlers: the receptor gets the KuDE PDF and the signed XML by email.

Triggers (one explicit table, ``handler_table``): ``document.approved`` (reason "aprobado"),
``document.cancelled`` when the registry knows it (reason "cancelado"), and
``kude.email_requested`` (``POST /{t}/de/email``: re-send, optionally to other addresses), and
``certificate.expiring`` (a notice to the company's own mailbox, at 30, 7 and 1 days).

Per trigger: read the document stream (signed XML of the last ``document.signed``, the request
artifact of ``document.requested`` whose ``data.cliente.email`` holds the full address list; the
engine writes only the first one to ``dEmailRec``), load the tenant's SMTP settings, get the PDF
(cache or render), compose, send. Outcomes:

* delivered → ``kude.emailed`` on the document stream;
* no SMTP settings or no receptor address on an automatic trigger → nothing (no email is due);
  on an explicit request → ``kude.email_failed`` so the caller sees why in the history;
* permanent SMTP failure (5xx, TLS, authentication) or invalid address → ``kude.email_failed``;
* transient SMTP failure (4xx, connection, timeout) → ``MailDeferred`` is raised: the bus retries
  with backoff (``RETRY_*``); on the last attempt (``bus.ports.current_attempt()``) the failure is
  recorded instead, as ``kude.email_failed`` with ``attempts`` and a message saying the retries
  were exhausted, so the history tells what became of the email (nothing is parked).

An email is an effect that cannot be undone, so the handler remembers what it sent per incoming
message id: a re-run after a ``ConcurrencyError`` (the stream moved while sending) appends the
outcome at the new version without sending again. A crash between sending and committing sends
again on redelivery (at-least-once, documented in docs/mailer.md).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from uuid import UUID

from sifenflow_common.artifacts import ArtifactStore
from sifenflow_common.bus.ports import current_attempt
from sifenflow_common.eventstore.ports import EventStore
from sifenflow_common.kude.markup import Environment
from sifenflow_common.messages.envelope import Envelope, Event, Message, document_stream
from sifenflow_common.messages.events import DocumentApproved, DocumentRequested, DocumentSigned, KudeEmailed
from sifenflow_common.messages.lifecycle import CertificateExpiring
from sifenflow_common.messages.mail import KudeEmailFailed, KudeEmailRequested, Reason
from sifenflow_common.messages.registry import MessageRegistry
from sifenflow_common.runtime.consumer import NOTHING, Append, Effects
from sifenflow_common.runtime.logging import get_logger
from sifenflow_common.sifen.rde_view import RdeView
from sifenflow_common.sifen.xml_read import XmlReadError, read_rde
from sifenflow_mailer.compose import (
    MailComposeError,
    compose_certificate_notice,
    compose_document_email,
    recipients_for,
    split_addresses,
)
from sifenflow_mailer.ports import KudeSource, MailSettingsSource, MailTransport
from sifenflow_mailer.smtp import SmtpDeliveryError

log = get_logger(__name__)

CANCELLED_TYPE = "document.cancelled"  # sifenflow_common.messages.lifecycle.DocumentCancelled
MEMO_SIZE = 4096


class SignedXmlMissing(LookupError):
    """No document.signed in the stream yet: retried by the bus, then parked."""


class MailDeferred(Exception):
    """A transient SMTP failure: the bus retries the delivery later."""

    def __init__(self, error: SmtpDeliveryError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass
class MailerDeps:
    store: EventStore
    artifacts: ArtifactStore
    registry: MessageRegistry
    settings: MailSettingsSource
    kude: KudeSource
    transport: MailTransport
    sent: OrderedDict[UUID, Event] = field(default_factory=OrderedDict)  # incoming id → outcome
    count: Callable[[str], None] = field(default=lambda outcome: None)  # sent|retry|failed|skipped


@dataclass(frozen=True, slots=True)
class _Document:
    version: int
    signed_xml_sha256: str
    request_sha256: str | None


def _read(recorded: Sequence[Any], registry: MessageRegistry, stream: str) -> _Document:
    signed: str | None = None
    request: str | None = None
    for event in recorded:
        if event.envelope.type == DocumentSigned.TYPE:
            signed = registry.parse_as(event.envelope, DocumentSigned).signed_xml_sha256
        elif event.envelope.type == DocumentRequested.TYPE:
            request = registry.parse_as(event.envelope, DocumentRequested).request_sha256
    if signed is None:
        raise SignedXmlMissing(f"{stream} has no {DocumentSigned.TYPE}")
    version = recorded[-1].stream_version if recorded else 0
    return _Document(version=version, signed_xml_sha256=signed, request_sha256=request)


def _view(xml: bytes) -> RdeView:
    try:
        return read_rde(xml)
    except XmlReadError as exc:
        raise MailComposeError("MAIL_XML_INVALIDO", exc.message, f"xml{exc.path}") from exc


async def receptor_addresses(artifacts: ArtifactStore, request_sha256: str | None) -> tuple[str, ...]:
    """Every address of ``data.cliente.email`` in the request as accepted (FacturaSend allows a
    comma-separated list; only the first reaches ``dEmailRec``)."""
    if request_sha256 is None:
        return ()
    try:
        request = json.loads(await artifacts.get(request_sha256))
    except (LookupError, ValueError):
        return ()
    data = request.get("data", request) if isinstance(request, dict) else {}
    cliente = data.get("cliente") if isinstance(data, dict) else None
    email = cliente.get("email") if isinstance(cliente, dict) else None
    return split_addresses(email) if isinstance(email, str) else ()


async def deliver(
    env: Envelope,
    deps: MailerDeps,
    *,
    document_id: UUID,
    cdc: str,
    reason: Reason,
    to: tuple[str, ...] = (),
    explicit: bool = False,
) -> Effects:
    stream = document_stream(document_id)
    outcome = deps.sent.get(env.message_id)
    if outcome is None:
        try:
            outcome = await _attempt(env, deps, stream, document_id, cdc, reason, to, explicit)
        except MailDeferred:
            deps.count("retry")
            raise
        deps.count("skipped" if outcome is None else "sent" if isinstance(outcome, KudeEmailed) else "failed")
        if outcome is None:
            return NOTHING
        deps.sent[env.message_id] = outcome
        while len(deps.sent) > MEMO_SIZE:
            deps.sent.popitem(last=False)
    version = await deps.store.stream_version(stream)  # latest: sending took a while
    return Effects(appends=[Append(stream, version, [outcome])])


async def _attempt(
    env: Envelope,
    deps: MailerDeps,
    stream: str,
    document_id: UUID,
    cdc: str,
    reason: Reason,
    to: tuple[str, ...],
    explicit: bool,
) -> Event | None:
    def failed(
        code: str,
        message: str,
        smtp_code: int | None = None,
        rcpt: tuple[str, ...] = to,
        attempts: int | None = None,
    ) -> Event:
        log.warning("email failed", cdc=cdc, code=code, detail=message, attempts=attempts)
        return KudeEmailFailed(
            document_id=document_id,
            cdc=cdc,
            to=rcpt,
            code=code,
            message=message,
            smtp_code=smtp_code,
            reason=reason,
            attempts=attempts,
        )

    settings = await deps.settings.mail_settings(env.tenant_id)  # first: most tenants may have none
    if settings is None or settings.smtp is None:
        if not explicit:
            log.info("no smtp settings for the tenant: no email", cdc=cdc)
            return None
        return failed("SMTP_NO_CONFIGURADO", "La empresa no tiene configurado un servidor SMTP.")
    document = _read(await deps.store.read_stream(stream), deps.registry, stream)
    recipients = to or await receptor_addresses(deps.artifacts, document.request_sha256)
    xml = await deps.artifacts.get(document.signed_xml_sha256)
    environment = cast(Environment, settings.environment)
    smtp = settings.smtp
    try:
        # the XML's dEmailRec is the fallback when the request had no list (a supplier's document)
        if not recipients:
            recipients = recipients_for(_view(xml))  # MAIL_SIN_DESTINATARIO before rendering
        pdf = await deps.kude.pdf(env.tenant_id, document_id, xml, environment=environment)
        composed = compose_document_email(
            xml,
            pdf,
            sender=smtp.from_address,
            sender_name=smtp.from_name,
            recipients=recipients or None,
            reason=reason,
        )
    except MailComposeError as exc:
        if exc.code == "MAIL_SIN_DESTINATARIO" and not explicit:
            log.info("receptor without email: no email", cdc=cdc)
            return None
        return failed(exc.code, exc.message)
    try:
        result = await deps.transport.send(composed.message, smtp, composed.recipients)
    except SmtpDeliveryError as exc:
        if exc.transient:
            attempt = current_attempt()
            if attempt is None or not attempt.last:
                log.info("email deferred", cdc=cdc, code=exc.code, detail=exc.message)
                raise MailDeferred(exc) from exc
            # the bus would park it now: record the failure so the history shows it
            message = f"Se agotaron los reintentos ({attempt.number} intentos): {exc.message}"
            return failed(exc.code, message, exc.smtp_code, composed.recipients, attempt.number)
        return failed(exc.code, exc.message, exc.smtp_code, composed.recipients)
    log.info("email sent", cdc=cdc, to=list(result.accepted), refused=list(result.refused))
    return KudeEmailed(document_id=document_id, cdc=cdc, to=result.accepted)


async def on_document_approved(env: Envelope, msg: Message, deps: MailerDeps) -> Effects:
    assert isinstance(msg, DocumentApproved)
    return await deliver(env, deps, document_id=msg.document_id, cdc=msg.cdc, reason="aprobado")


async def on_document_cancelled(env: Envelope, msg: Message, deps: MailerDeps) -> Effects:
    document_id = cast(UUID, getattr(msg, "document_id"))  # noqa: B009 - lifecycle's DocumentCancelled
    cdc = cast(str, getattr(msg, "cdc"))  # noqa: B009
    return await deliver(env, deps, document_id=document_id, cdc=cdc, reason="cancelado")


async def on_email_requested(env: Envelope, msg: Message, deps: MailerDeps) -> Effects:
    assert isinstance(msg, KudeEmailRequested)
    return await deliver(
        env, deps, document_id=msg.document_id, cdc=msg.cdc, reason=msg.reason, to=msg.to, explicit=True
    )


async def on_certificate_expiring(env: Envelope, msg: Message, deps: MailerDeps) -> Effects:
    """Email the company itself (its SMTP sender mailbox) that its certificate expires soon; the
    webhook of the same event is the notifier's. Nothing is appended: the event already is the record."""
    assert isinstance(msg, CertificateExpiring)
    settings = await deps.settings.mail_settings(env.tenant_id)
    if settings is None or settings.smtp is None:
        log.info("no smtp settings for the tenant: no certificate notice", days_left=msg.days_left)
        deps.count("skipped")
        return NOTHING
    smtp = settings.smtp
    try:
        message = compose_certificate_notice(
            sender=smtp.from_address, sender_name=smtp.from_name, days_left=msg.days_left,
            not_after=msg.not_after,
        )  # fmt: skip
        await deps.transport.send(message, smtp, [smtp.from_address])
    except MailComposeError as exc:
        log.warning("certificate notice not composed", code=exc.code, detail=exc.message)
        deps.count("failed")
    except SmtpDeliveryError as exc:
        if exc.transient:
            deps.count("retry")
            raise MailDeferred(exc) from exc
        log.warning("certificate notice failed", code=exc.code, detail=exc.message)
        deps.count("failed")
    else:
        deps.count("sent")
    return NOTHING


HandlerFn = Callable[[Envelope, Message], Awaitable[Effects]]


def handler_table(deps: MailerDeps) -> dict[str, HandlerFn]:
    """The one explicit routing table of the mailer service."""

    def bind(fn: Callable[[Envelope, Message, MailerDeps], Awaitable[Effects]]) -> HandlerFn:
        async def handle(env: Envelope, msg: Message) -> Effects:
            return await fn(env, msg, deps)

        return handle

    table = {
        DocumentApproved.TYPE: bind(on_document_approved),
        KudeEmailRequested.TYPE: bind(on_email_requested),
        CertificateExpiring.TYPE: bind(on_certificate_expiring),
    }
    if CANCELLED_TYPE in deps.registry.types():  # the lifecycle area's cancellation event
        table[CANCELLED_TYPE] = bind(on_document_cancelled)
    return table
