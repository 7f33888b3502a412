"""SMTP adapter (aiosmtplib): send one composed email with per-tenant settings, and classify failures.

``send_email`` returns which recipients were accepted and which refused. Failures raise
``SmtpDeliveryError`` with ``transient`` telling the mailer whether to retry with backoff
(connection problems, timeouts, 4xx replies) or to record a permanent failure in the document's
history (5xx replies: unknown mailbox, relay denied, authentication failed, message rejected).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal

import aiosmtplib

Security = Literal["none", "starttls", "tls"]


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """One tenant's outgoing mail server. ``password`` is the decrypted secret (kept out of repr)."""

    host: str
    port: int
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    validate_certs: bool = True
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    accepted: tuple[str, ...]
    refused: dict[str, str]  # address → server reply, for recipients refused while others were accepted
    response: str


class SmtpDeliveryError(Exception):
    """``code`` stable, ``transient`` → retry later, ``smtp_code`` the server's reply code if any."""

    def __init__(self, code: str, message: str, *, transient: bool, smtp_code: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.transient = transient
        self.smtp_code = smtp_code


def _reply_is_transient(code: int) -> bool:
    # RFC 5321 §4.2.1: 4yz transient negative completion, 5yz permanent
    return 400 <= code < 500


def classify(exc: BaseException) -> SmtpDeliveryError:
    """Map an aiosmtplib / OS error to a delivery error, transient or permanent."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        transient = any(_reply_is_transient(c) for c in codes)
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        return SmtpDeliveryError(
            "SMTP_DESTINATARIOS_RECHAZADOS" if not transient else "SMTP_DESTINATARIOS_DIFERIDOS",
            f"El servidor rechazó los destinatarios ({detail})",
            transient=transient,
            smtp_code=codes[0] if codes else None,
        )
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SmtpDeliveryError(
            "SMTP_AUTENTICACION",
            f"Usuario o contraseña SMTP rechazados ({exc.code} {exc.message})",
            transient=_reply_is_transient(exc.code),
            smtp_code=exc.code,
        )
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | aiosmtplib.SMTPConnectTimeoutError):
        return SmtpDeliveryError(
            "SMTP_TIEMPO_AGOTADO", f"Tiempo agotado con el servidor SMTP: {exc}", transient=True
        )
    if isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected):
        return SmtpDeliveryError(
            "SMTP_CONEXION", f"No se pudo conectar al servidor SMTP: {exc}", transient=True
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        transient = _reply_is_transient(exc.code)
        return SmtpDeliveryError(
            "SMTP_RESPUESTA_TEMPORAL" if transient else "SMTP_RESPUESTA_PERMANENTE",
            f"El servidor SMTP respondió {exc.code} {exc.message}",
            transient=transient,
            smtp_code=exc.code,
        )
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return SmtpDeliveryError(
            "SMTP_NO_SOPORTADO", f"El servidor no admite lo pedido: {exc}", transient=False
        )
    if isinstance(exc, ssl.SSLError):
        return SmtpDeliveryError("SMTP_TLS", f"Fallo de TLS con el servidor SMTP: {exc}", transient=False)
    if isinstance(exc, OSError | aiosmtplib.SMTPException):
        return SmtpDeliveryError("SMTP_CONEXION", f"Error de red con el servidor SMTP: {exc}", transient=True)
    raise exc


async def send_email(
    message: EmailMessage, settings: SmtpSettings, *, recipients: tuple[str, ...] = ()
) -> DeliveryResult:
    """Send ``message`` (to ``recipients`` or its To/Cc/Bcc). Raises ``SmtpDeliveryError``."""
    try:
        errors, response = await aiosmtplib.send(
            message,
            recipients=list(recipients) or None,
            hostname=settings.host,
            port=settings.port,
            username=settings.username,
            password=settings.password,
            use_tls=settings.security == "tls",
            start_tls=settings.security == "starttls",
            validate_certs=settings.validate_certs,
            tls_context=settings.tls_context,
            timeout=settings.timeout,
        )
    except Exception as exc:  # every failure is classified, never leaked
        raise classify(exc) from exc
    targets = recipients or tuple(
        a.strip()
        for header in ("To", "Cc", "Bcc")
        for a in (message.get(header) or "").split(",")
        if a.strip()
    )
    refused = {address: f"{reply.code} {reply.message}" for address, reply in errors.items()}
    accepted = tuple(a for a in targets if a not in refused and _bare(a) not in refused)
    return DeliveryResult(accepted=accepted, refused=refused, response=response)


def _bare(address: str) -> str:
    return address.rsplit("<", 1)[-1].rstrip(">").strip()
