"""Sign-in links and invitations by email (aiosmtplib), through the platform's own SMTP server
(``AUTH_SMTP_*`` settings), not a company's."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import aiosmtplib

from sifenflow_common.runtime.logging import get_logger
from sifenflow_gateway.settings import GatewaySettings

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Letter:
    to: str
    subject: str
    text: str


class SigninMailer:
    def __init__(self, settings: GatewaySettings) -> None:
        self._settings = settings

    @property
    def configured(self) -> bool:
        return bool(self._settings.auth_smtp_host)

    async def send(self, letter: Letter) -> None:
        s = self._settings
        if not s.auth_smtp_host:
            log.warning("sign-in mail not sent: AUTH_SMTP_HOST is not set", subject=letter.subject)
            return
        message = EmailMessage()
        message["From"] = s.auth_smtp_from
        message["To"] = letter.to
        message["Subject"] = letter.subject
        message.set_content(letter.text)
        await aiosmtplib.send(
            message,
            hostname=s.auth_smtp_host,
            port=s.auth_smtp_port,
            use_tls=s.auth_smtp_tls == "tls",
            start_tls=s.auth_smtp_tls == "starttls",
            username=s.auth_smtp_username,
            password=s.auth_smtp_password.get_secret_value() if s.auth_smtp_password else None,
            timeout=30,
        )


def signin_letter(to: str, link: str, minutes: float) -> Letter:
    text = (
        "Para ingresar a sifenflow abra este enlace (válido una sola vez, "
        f"durante {minutes:g} minutos):\n\n{link}\n\nSi usted no lo pidió, ignore este mensaje.\n"
    )
    return Letter(to, "Su enlace de ingreso a sifenflow", text)


def invitation_letter(to: str, link: str, company: str, role: str, hours: float) -> Letter:
    text = (
        f"Le invitaron a la empresa {company} en sifenflow, con el rol {role}.\n\n"
        f"Para aceptar abra este enlace (válido una sola vez, durante {hours:g} horas):\n\n{link}\n"
    )
    return Letter(to, f"Invitación a {company} en sifenflow", text)
