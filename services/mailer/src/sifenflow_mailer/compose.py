"""The email that carries a DE to its receptor: Spanish text + HTML body, KuDE PDF and signed XML.

Pure: builds an ``email.message.EmailMessage`` from the signed XML (read with the lenient reader) and
the KuDE bytes; sending is ``smtp.py``'s job. Recipients are the receptor's ``dEmailRec`` (a comma
or semicolon separated list) unless the caller gives others (re-send to other addresses). No
recipient → ``MailComposeError("MAIL_SIN_DESTINATARIO")``: the caller records that no email is due.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from html import escape
from typing import Literal

from sifenflow_common.sifen.rde_view import RdeView
from sifenflow_common.sifen.xml_read import XmlReadError, read_rde

Reason = Literal["aprobado", "cancelado"]

# deliberately simple: one @, no spaces, a dot in the domain (RFC 5322 is far wider, SMTP will judge)
_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
_TITLES = {
    1: "Factura electrónica",
    4: "Autofactura electrónica",
    5: "Nota de crédito electrónica",
    6: "Nota de débito electrónica",
    7: "Nota de remisión electrónica",
    9: "Boleta de venta electrónica",
    10: "Boleta resimple electrónica",
    55: "Recibo digital",
}
_SYMBOLS = {"PYG": "₲", "USD": "US$", "EUR": "€", "BRL": "R$"}
CONSULTA_PROD = "https://ekuatia.set.gov.py/consultas/"


class MailComposeError(ValueError):
    def __init__(self, code: str, message: str, path: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.path = path


@dataclass(frozen=True, slots=True)
class ComposedEmail:
    message: EmailMessage
    recipients: tuple[str, ...]
    cdc: str


def split_addresses(text: str | None) -> tuple[str, ...]:
    """``"a@x.py, b@y.py;c@z.py"`` → the addresses, trimmed, duplicates removed (case-insensitive)."""
    if not text:
        return ()
    seen: dict[str, str] = {}
    for raw in re.split(r"[,;]", text):
        address = raw.strip()
        if address and address.lower() not in seen:
            seen[address.lower()] = address
    return tuple(seen.values())


def recipients_for(view: RdeView, override: Sequence[str] | None = None) -> tuple[str, ...]:
    addresses = split_addresses(",".join(override)) if override else view.gDatRec.emails
    addresses = split_addresses(",".join(addresses))
    bad = [a for a in addresses if not _EMAIL.match(a)]
    if bad:
        raise MailComposeError(
            "MAIL_DESTINATARIO_INVALIDO", f"Dirección de correo inválida: {bad[0]}", "destinatarios"
        )
    if not addresses:
        raise MailComposeError(
            "MAIL_SIN_DESTINATARIO",
            "El receptor no tiene correo electrónico; no se envía el documento.",
            "receptor",
        )
    return addresses


def _title(view: RdeView) -> str:
    return view.gTimb.dDesTiDE or _TITLES.get(view.iTiDE, "Documento electrónico")


def _money(value: Decimal | None, currency: str) -> str | None:
    if value is None:
        return None
    places = 0 if currency == "PYG" and value == value.to_integral_value() else 2
    text = f"{value:,.{places}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return f"{_SYMBOLS.get(currency, currency)} {text}"


def _consulta(view: RdeView) -> str:
    qr = view.dCarQR or ""
    return qr.split("qr?", 1)[0] if "qr?" in qr else CONSULTA_PROD


def _lines(view: RdeView, reason: Reason) -> tuple[str, list[tuple[str, str]], list[str]]:
    title = _title(view)
    emisor = view.gEmis
    intro = (
        f"le informamos que {emisor.dNomEmi} canceló la {title.lower()} N° {view.number}."
        if reason == "cancelado"
        else f"le enviamos la {title.lower()} N° {view.number} emitida por {emisor.dNomEmi}."
    )
    facts = [
        ("Emisor", f"{emisor.dNomEmi} (RUC {emisor.ruc})"),
        ("Documento", f"{title} N° {view.number}"),
        ("Fecha de emisión", view.dFeEmiDE.strftime("%d/%m/%Y %H:%M")),
    ]
    total = view.gTotSub.dTotGralOpe if view.gTotSub else (view.gCamRec.dTotRec if view.gCamRec else None)
    money = _money(total, view.currency)
    if money:
        facts.append(("Total", money))
    facts.append(("CDC", " ".join(view.cdc_blocks)))
    closing = [
        "Adjuntamos la representación gráfica (KuDE, PDF) y el documento electrónico firmado (XML).",
    ]
    if view.iTiDE != 55:
        closing.append(f"Puede verificar su validez con el CDC en {_consulta(view)}")
    closing.append(
        "Este es un mensaje automático; por consultas responda a este correo o contacte al emisor."
    )
    return intro, facts, closing


def _text_body(view: RdeView, reason: Reason) -> str:
    intro, facts, closing = _lines(view, reason)
    out = [f"Estimado/a {view.gDatRec.dNomRec}:", "", intro, ""]
    out += [f"{label}: {value}" for label, value in facts]
    out += ["", *closing, ""]
    return "\n".join(out)


def _html_body(view: RdeView, reason: Reason) -> str:
    intro, facts, closing = _lines(view, reason)
    rows = "".join(
        f'<tr><th align="left" style="padding:2px 12px 2px 0">{escape(label)}</th>'
        f"<td>{escape(value)}</td></tr>"
        for label, value in facts
    )
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in closing)
    return (
        '<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"></head>'
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222">'
        f"<p>Estimado/a {escape(view.gDatRec.dNomRec)}:</p><p>{escape(intro)}</p>"
        f'<table style="border-collapse:collapse">{rows}</table>{paragraphs}</body></html>'
    )


def compose_document_email(
    signed_xml: bytes,
    kude_pdf: bytes,
    *,
    sender: str,
    sender_name: str | None = None,
    recipients: Sequence[str] | None = None,
    reason: Reason = "aprobado",
    reply_to: str | None = None,
) -> ComposedEmail:
    """The email of one document: to the receptor (or ``recipients``), KuDE and XML attached."""
    try:
        view = read_rde(signed_xml)
    except XmlReadError as exc:
        raise MailComposeError("MAIL_XML_INVALIDO", exc.message, f"xml{exc.path}") from exc
    if not kude_pdf.startswith(b"%PDF-"):
        raise MailComposeError("MAIL_PDF_INVALIDO", "El KuDE adjunto no es un PDF.", "pdf")
    if not _EMAIL.match(sender):
        raise MailComposeError("MAIL_REMITENTE_INVALIDO", f"Remitente inválido: {sender}", "remitente")
    to = recipients_for(view, recipients)

    title = _title(view)
    prefix = "Cancelación: " if reason == "cancelado" else ""
    message = EmailMessage()
    message["Subject"] = f"{prefix}{title} {view.number} - {view.gEmis.dNomEmi}"
    display = sender_name or view.gEmis.dNomFanEmi or view.gEmis.dNomEmi
    user, _, domain = sender.partition("@")
    message["From"] = Address(display_name=display, username=user, domain=domain)
    message["To"] = ", ".join(to)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(idstring=view.cdc[-12:], domain=domain or None)
    message["X-Sifenflow-CDC"] = view.cdc
    message.set_content(_text_body(view, reason))
    message.add_alternative(_html_body(view, reason), subtype="html")
    message.add_attachment(kude_pdf, maintype="application", subtype="pdf", filename=f"{view.cdc}.pdf")
    message.add_attachment(signed_xml, maintype="application", subtype="xml", filename=f"{view.cdc}.xml")
    return ComposedEmail(message=message, recipients=to, cdc=view.cdc)


def compose_certificate_notice(
    *, sender: str, sender_name: str | None, days_left: int, not_after: datetime
) -> EmailMessage:
    """Warning to the company itself (its own mailbox, ``sender``) that its signing certificate
    expires soon: without a valid certificate SIFEN rejects every document (codes 0121/0002)."""
    if not _EMAIL.match(sender):
        raise MailComposeError("MAIL_REMITENTE_INVALIDO", f"Remitente inválido: {sender}", "remitente")
    when = not_after.strftime("%d/%m/%Y %H:%M UTC")
    plazo = "mañana" if days_left <= 1 else f"en {days_left} días"
    text = (
        f"El certificado de firma digital de su empresa vence {plazo} ({when}).\n\n"
        "Sin un certificado vigente SIFEN rechaza todos los documentos electrónicos. Renuévelo ante "
        "su prestador de servicios de certificación y cárguelo en sifenflow "
        "(PUT /admin/tenants/{id}/certificate o `sifenflow tenant set-certificate`).\n"
    )
    message = EmailMessage()
    message["Subject"] = f"Su certificado de firma digital vence {plazo}"
    user, _, domain = sender.partition("@")
    message["From"] = Address(display_name=sender_name or "sifenflow", username=user, domain=domain)
    message["To"] = sender
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(idstring="certificado", domain=domain or None)
    message.set_content(text)
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in text.strip().split("\n\n"))
    message.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    return message
