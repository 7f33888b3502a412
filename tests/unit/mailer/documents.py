"""A real signed document and its KuDE for the mailer tests (engine → test CA signature → QR → PDF)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from sifenflow_common.documents.engine import build_document
from sifenflow_common.kude.render import render_kude
from sifenflow_common.sifen.certificates import load_pkcs12
from sifenflow_common.sifen.qr import sign_rde_with_qr
from sifenflow_common.sifen.test_ca import ensure_test_ca, issue_test_p12
from tests.fixtures.documents import load_fixture

CSC = "ABCD0000000000000000000000000000"  # MT v150 §13.8.3 generic test CSC


@dataclass(frozen=True)
class MailDocument:
    xml: bytes
    pdf: bytes


@cache
def _credentials():
    with tempfile.TemporaryDirectory() as tmp:
        ca = ensure_test_ca(Path(tmp) / "ca")
        p12 = issue_test_p12(
            ca,
            ruc="80069563-1",
            name="EMPRESA S.A.",
            password="mail",
            not_before=datetime(2025, 1, 1, tzinfo=UTC),
            valid_days=3650,
        )
    return load_pkcs12(p12, "mail")


@cache
def mail_document(email: str | None = "compras@cliente.com.py") -> MailDocument:
    fixture = load_fixture("fe_contado")
    data = fixture["data"]
    if email is None:
        data["cliente"].pop("email", None)
    else:
        data["cliente"]["email"] = email
    built = build_document(fixture["params"], data, environment="test", now=datetime(2026, 11, 20, 10, 15))
    xml = sign_rde_with_qr(
        built.xml,
        _credentials(),
        csc_id="0001",
        csc=CSC,
        environment="test",
        signed_at=datetime(2026, 11, 20, 10, 20),
    )
    return MailDocument(xml=xml, pdf=render_kude(xml))
