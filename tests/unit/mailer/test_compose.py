"""Composition of the document email (issue 7 item 3): recipients, subject, bodies, attachments."""

from __future__ import annotations

import email
from email import policy

import pytest

from sifenflow_common.sifen.xml_read import read_rde
from sifenflow_mailer.compose import MailComposeError, compose_document_email, split_addresses

from .documents import mail_document

pytestmark = pytest.mark.unit


def test_email_to_the_receptor_with_kude_and_xml() -> None:
    doc = mail_document()
    view = read_rde(doc.xml)
    assert compose_document_email(doc.xml, doc.pdf, sender="f@ejemplo.com.py").recipients == (
        "compras@cliente.com.py",  # dEmailRec of the XML
    )
    # the integrator's cliente.email may list several addresses: the mailer passes that list
    listed = "compras@cliente.com.py, pagos@cliente.com.py;Compras@Cliente.com.py"
    composed = compose_document_email(doc.xml, doc.pdf, sender="facturas@ejemplo.com.py", recipients=[listed])
    assert composed.recipients == ("compras@cliente.com.py", "pagos@cliente.com.py")  # deduplicated
    assert composed.cdc == view.cdc
    parsed = email.message_from_bytes(composed.message.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == f"Factura electrónica {view.number} - {view.gEmis.dNomEmi}"
    assert parsed["To"] == "compras@cliente.com.py, pagos@cliente.com.py"
    assert "facturas@ejemplo.com.py" in parsed["From"]
    text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    html = parsed.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    for body in (text, html):
        assert view.number in body and " ".join(view.cdc_blocks) in body
        assert "https://ekuatia.set.gov.py/consultas-test/" in body
    assert f"Estimado/a {view.gDatRec.dNomRec}" in text
    attachments = {a.get_filename(): a for a in parsed.iter_attachments()}
    assert set(attachments) == {f"{view.cdc}.pdf", f"{view.cdc}.xml"}
    assert attachments[f"{view.cdc}.pdf"].get_content_type() == "application/pdf"
    assert attachments[f"{view.cdc}.pdf"].get_content() == doc.pdf
    assert attachments[f"{view.cdc}.xml"].get_content() == doc.xml


def test_recipients_override_and_cancellation_subject() -> None:
    doc = mail_document()
    composed = compose_document_email(
        doc.xml,
        doc.pdf,
        sender="facturas@ejemplo.com.py",
        recipients=["otro@ejemplo.com"],
        reason="cancelado",
    )
    assert composed.recipients == ("otro@ejemplo.com",)
    assert composed.message["Subject"].startswith("Cancelación: Factura electrónica")
    assert "canceló" in composed.message.get_body(preferencelist=("plain",)).get_content()


def test_no_email_when_the_receptor_has_none() -> None:
    doc = mail_document(None)
    with pytest.raises(MailComposeError) as info:
        compose_document_email(doc.xml, doc.pdf, sender="facturas@ejemplo.com.py")
    assert info.value.code == "MAIL_SIN_DESTINATARIO"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"recipients": ["no es un correo"]}, "MAIL_DESTINATARIO_INVALIDO"),
        ({"sender": "sin-arroba"}, "MAIL_REMITENTE_INVALIDO"),
        ({"pdf": b"not a pdf"}, "MAIL_PDF_INVALIDO"),
        ({"xml": b"<x/>"}, "MAIL_XML_INVALIDO"),
    ],
)
def test_bad_input(kwargs: dict[str, object], code: str) -> None:
    doc = mail_document()
    args: dict[str, object] = {"sender": "facturas@ejemplo.com.py", **kwargs}
    xml = args.pop("xml", doc.xml)
    pdf = args.pop("pdf", doc.pdf)
    with pytest.raises(MailComposeError) as info:
        compose_document_email(xml, pdf, **args)
    assert info.value.code == code and info.value.message


def test_split_addresses() -> None:
    assert split_addresses(" a@x.py ,b@y.py;; A@X.py ") == ("a@x.py", "b@y.py")
    assert split_addresses(None) == () and split_addresses("") == ()
