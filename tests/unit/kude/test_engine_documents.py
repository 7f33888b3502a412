"""KuDE of our own documents: every engine fixture built, signed with the test CA, QR added, rendered.

This is the path the kude service takes (approved signed rDE → PDF). Checks per MT v150 §13: type
title, number EEE-PPP-NNNNNNN, receptor, CDC in groups of four, total of the operation, and the QR
decoded from the page equals dCarQR.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from sifenflow_common.documents.engine import build_document
from sifenflow_common.kude import formatting as fmt
from sifenflow_common.kude.markup import title
from sifenflow_common.kude.render import KudeRenderer
from sifenflow_common.sifen.qr import sign_rde_with_qr
from sifenflow_common.sifen.signature import verify_rde
from sifenflow_common.sifen.xml_read import read_rde
from tests.fixtures.documents import FIXTURE_NAMES, load_fixture

from .conftest import CSC, decode_qr, page_png, pdf_text, squash

pytestmark = pytest.mark.unit

SIGNED_AT = datetime(2026, 11, 20, 10, 20, 0)
NOW = datetime(2026, 11, 20, 10, 15, 0)


def signed(name: str, credentials: Any) -> bytes:
    """The signed rDE with QR; the recibo digital (never sent to SIFEN, no QR) as the engine builds it."""
    fixture = load_fixture(name)
    built = build_document(fixture["params"], fixture["data"], environment="test", now=NOW)
    if built.tipo_documento == 55:
        return built.xml
    return sign_rde_with_qr(
        built.xml, credentials, csc_id="0001", csc=CSC, environment="test", signed_at=SIGNED_AT
    )


def test_fixtures_cover_every_type() -> None:
    datas = [load_fixture(n)["data"] for n in FIXTURE_NAMES]
    kinds = {d.get("tipoDocumento", d.get("tipo_documento")) for d in datas}
    assert {1, 4, 5, 6, 7, 9, 10, 55} <= {int(k) for k in kinds}


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_engine_fixture_renders_a4(
    renderer: KudeRenderer, kude_credentials: Any, tmp_path: Path, name: str
) -> None:
    xml = signed(name, kude_credentials)
    view = read_rde(xml)
    if view.iTiDE != 55:  # the recibo is never sent to SIFEN; its schema is ours
        assert verify_rde(xml).ok
    text = squash(pdf_text(renderer.render(xml), tmp_path))
    assert title(view) in text
    assert f"N° {view.number}" in text
    assert view.gDatRec.dNomRec in text
    assert "CDC: " + " ".join(view.cdc_blocks) in text
    assert "AMBIENTE DE PRUEBA" in text  # test environment QR → test legend (MT v150 D105)
    if view.gTotSub is not None and view.gTotSub.dTotGralOpe is not None:
        assert fmt.money(view.gTotSub.dTotGralOpe, view.currency) in text


@pytest.mark.parametrize(
    "name", ["fe_contado", "afe_constancia", "nc_electronico", "nd_impreso", "nre_transporte", "fe_usd"]
)
@pytest.mark.parametrize("fmt_name", ["a4", "ticket"])
def test_engine_documents_qr_decodes(
    renderer: KudeRenderer, kude_credentials: Any, tmp_path: Path, name: str, fmt_name: str
) -> None:
    xml = signed(name, kude_credentials)
    view = read_rde(xml)
    assert view.dCarQR and view.dCarQR.startswith("https://ekuatia.set.gov.py/consultas-test/qr?")
    pdf = renderer.render(xml, format=fmt_name)
    assert decode_qr(page_png(pdf, tmp_path)) == [view.dCarQR]
    text = squash(pdf_text(pdf, tmp_path))
    assert ("CDC: " + " ".join(view.cdc_blocks)).replace(" ", "") in text.replace(" ", "")


@pytest.mark.parametrize(
    ("name", "heading"),
    [("boleta_venta", "BOLETA DE VENTA ELECTRÓNICA"), ("boleta_resimple", "BOLETA RESIMPLE ELECTRÓNICA")],
)
@pytest.mark.parametrize("fmt_name", ["a4", "ticket"])
def test_boletas_render_with_their_title_and_qr(
    renderer: KudeRenderer, kude_credentials: Any, tmp_path: Path, name: str, heading: str, fmt_name: str
) -> None:
    """iTiDE 9 / 10 (current tdDesTiDE): the KuDE is titled after the document type."""
    xml = signed(name, kude_credentials)
    view = read_rde(xml)
    pdf = renderer.render(xml, format=fmt_name)
    text = squash(pdf_text(pdf, tmp_path))
    assert heading in text and f"Consulte la validez de esta {heading.capitalize()}" in text, text
    assert decode_qr(page_png(pdf, tmp_path)) == [view.dCarQR]


def test_engine_fe_iva_breakdown_matches_totals(
    renderer: KudeRenderer, kude_credentials: Any, tmp_path: Path
) -> None:
    view = read_rde(signed("fe_gravado_parcial", kude_credentials))
    tot = view.gTotSub
    assert tot is not None
    pdf = KudeRenderer().render_views([view])
    text = squash(pdf_text(pdf, tmp_path))
    # MT v150 F015-F017: liquidación del IVA per rate and total, as in the XML
    assert f"5%: {fmt.amount(tot.dIVA5 or 0)}" in text
    assert f"10%: {fmt.amount(tot.dIVA10 or 0)}" in text
    assert f"Total: {fmt.amount(tot.dTotIVA or 0)}" in text
    assert "Gravado parcial" in text  # NT13 gravado parcial items say so


def test_engine_recibo_digital(renderer: KudeRenderer, kude_credentials: Any, tmp_path: Path) -> None:
    xml = signed("recibo", kude_credentials)
    view = read_rde(xml)
    assert view.iTiDE == 55 and view.gCamRec is not None and len(view.gDocRec) == 2
    for fmt_name in ("a4", "ticket"):
        pdf = renderer.render(xml, format=fmt_name)
        text = squash(pdf_text(pdf, tmp_path))
        assert "RECIBO DIGITAL" in text and "Concepto: Pago de cuotas 1 y 2" in text
        assert "Total recibido (PYG) ₲ 150.000" in text
        assert "Factura N° 001-001-0000456" in text
        assert ("CDC: " + " ".join(view.cdc_blocks)).replace(" ", "") in text.replace(" ", "")
        assert decode_qr(page_png(pdf, tmp_path)) == []  # no QR: a recibo is not consulted at SIFEN
