"""Sending the document email over real SMTP (aiosmtpd on loopback): issue 7 items 3 and 5.

Checks what arrives (envelope recipients, subject, both attachments; the PDF opens and the XML's
signature verifies) and the transient/permanent classification of failures (RFC 5321 §4.2.1:
4yz transient, 5yz permanent) that decides between retrying and recording a failure.
"""

from __future__ import annotations

import email
import subprocess
from email import policy
from pathlib import Path

import pytest

from sifenflow_common.sifen.signature import verify_rde
from sifenflow_common.sifen.xml_read import read_rde
from sifenflow_common.testing.ports import free_port
from sifenflow_mailer.compose import compose_document_email
from sifenflow_mailer.smtp import SmtpDeliveryError, SmtpSettings, send_email
from tests.unit.mailer.documents import mail_document

from .conftest import PASSWORD, USER, SmtpServer, Tls

pytestmark = pytest.mark.integration

SENDER = "facturas@ejemplo.com.py"


def _composed(recipients: list[str] | None = None):
    doc = mail_document()
    return compose_document_email(doc.xml, doc.pdf, sender=SENDER, recipients=recipients)


def _check_delivered(server: SmtpServer, expected: tuple[str, ...], tmp_path: Path) -> None:
    (envelope,) = server.inbox.envelopes
    assert envelope.mail_from == SENDER
    assert tuple(envelope.rcpt_tos) == expected
    parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
    doc = mail_document()
    view = read_rde(doc.xml)
    assert parsed["Subject"] == f"Factura electrónica {view.number} - {view.gEmis.dNomEmi}"
    attachments = {a.get_filename(): a.get_content() for a in parsed.iter_attachments()}
    pdf, xml = attachments[f"{view.cdc}.pdf"], attachments[f"{view.cdc}.xml"]
    (tmp_path / "kude.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "kude.pdf"), "-"], check=True, capture_output=True
    ).stdout
    assert view.number.encode() in text  # the PDF opens and is this document's KuDE
    assert verify_rde(xml).ok  # the XML arrives byte-exact: its signature still verifies


async def test_plain_delivery(smtp_plain: SmtpServer, tmp_path: Path) -> None:
    composed = _composed()
    settings = SmtpSettings(host=smtp_plain.host, port=smtp_plain.port, security="none")
    result = await send_email(composed.message, settings)
    assert result.accepted == ("compras@cliente.com.py",) and result.refused == {}
    _check_delivered(smtp_plain, ("compras@cliente.com.py",), tmp_path)


async def test_starttls_with_authentication(smtp_starttls: SmtpServer, tls: Tls, tmp_path: Path) -> None:
    composed = _composed(["compras@cliente.com.py, pagos@cliente.com.py"])
    settings = SmtpSettings(
        host=smtp_starttls.host,
        port=smtp_starttls.port,
        security="starttls",
        username=USER,
        password=PASSWORD,
        tls_context=tls.client,
    )
    result = await send_email(composed.message, settings, recipients=composed.recipients)
    assert result.accepted == ("compras@cliente.com.py", "pagos@cliente.com.py")
    _check_delivered(smtp_starttls, ("compras@cliente.com.py", "pagos@cliente.com.py"), tmp_path)
    assert "password" not in repr(settings) and PASSWORD not in repr(settings)


async def test_implicit_tls(smtp_tls: SmtpServer, tls: Tls, tmp_path: Path) -> None:
    settings = SmtpSettings(host=smtp_tls.host, port=smtp_tls.port, security="tls", tls_context=tls.client)
    await send_email(_composed().message, settings)
    _check_delivered(smtp_tls, ("compras@cliente.com.py",), tmp_path)


async def test_wrong_password_is_permanent(smtp_starttls: SmtpServer, tls: Tls) -> None:
    settings = SmtpSettings(
        host=smtp_starttls.host,
        port=smtp_starttls.port,
        username=USER,
        password="mala",
        tls_context=tls.client,
    )
    with pytest.raises(SmtpDeliveryError) as info:
        await send_email(_composed().message, settings)
    assert (
        info.value.code == "SMTP_AUTENTICACION" and not info.value.transient and info.value.smtp_code == 535
    )
    assert smtp_starttls.inbox.envelopes == []


async def test_untrusted_certificate_is_permanent(smtp_starttls: SmtpServer) -> None:
    settings = SmtpSettings(
        host=smtp_starttls.host, port=smtp_starttls.port, username=USER, password=PASSWORD
    )
    with pytest.raises(SmtpDeliveryError) as info:
        await send_email(_composed().message, settings)
    assert not info.value.transient


async def test_unknown_mailbox_is_permanent(smtp_plain: SmtpServer) -> None:
    settings = SmtpSettings(host=smtp_plain.host, port=smtp_plain.port, security="none")
    with pytest.raises(SmtpDeliveryError) as info:
        await send_email(_composed(["noexiste@cliente.com.py"]).message, settings)
    assert info.value.code == "SMTP_DESTINATARIOS_RECHAZADOS" and not info.value.transient
    assert info.value.smtp_code == 550


async def test_full_mailbox_is_transient(smtp_plain: SmtpServer) -> None:
    settings = SmtpSettings(host=smtp_plain.host, port=smtp_plain.port, security="none")
    with pytest.raises(SmtpDeliveryError) as info:
        await send_email(_composed(["lleno@cliente.com.py"]).message, settings)
    assert info.value.transient and info.value.smtp_code == 452


async def test_partial_refusal_delivers_to_the_others(smtp_plain: SmtpServer) -> None:
    composed = _composed(["compras@cliente.com.py, noexiste@cliente.com.py"])
    settings = SmtpSettings(host=smtp_plain.host, port=smtp_plain.port, security="none")
    result = await send_email(composed.message, settings, recipients=composed.recipients)
    assert result.accepted == ("compras@cliente.com.py",)
    assert result.refused["noexiste@cliente.com.py"].startswith("550")
    assert tuple(smtp_plain.inbox.envelopes[0].rcpt_tos) == ("compras@cliente.com.py",)


async def test_connection_refused_is_transient() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), security="none", timeout=5)
    with pytest.raises(SmtpDeliveryError) as info:
        await send_email(_composed().message, settings)
    assert info.value.code == "SMTP_CONEXION" and info.value.transient
