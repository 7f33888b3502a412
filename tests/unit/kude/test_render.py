"""KuDE rendering (issue 7 items 1, 4, 5): every document type, both formats, read back from the PDF.

The text is extracted with poppler's pdftotext and the QR decoded from a pdftoppm PNG with zbar, so
these tests check what a person and a phone would read, per MT v150 §13 (KuDE: emisor, timbrado,
type and number EEE-PPP-NNNNNNN, receptor, items, subtotals, liquidación del IVA, totals, QR with
dCarQR, CDC in 11 groups of 4, consultation legend).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sifenflow_common.kude.markup import LEGEND_SIMULADO
from sifenflow_common.kude.render import KudeError, KudeRenderer, render_kude, render_many
from sifenflow_common.sifen.xml_read import read_rde
from sifenflow_kude.samples import sample_rde
from tests.conftest import shared_examples_dir

from .conftest import decode_qr, page_png, pdf_info, pdf_text, squash

pytestmark = pytest.mark.unit

FORMATS = ["a4", "ticket"]
EXAMPLES = {
    "FE": "FACTURA ELECTRÓNICA",
    "AFE": "AUTOFACTURA ELECTRÓNICA",
    "NC": "NOTA DE CRÉDITO ELECTRÓNICA",
    "ND": "NOTA DE DÉBITO ELECTRÓNICA",
    "NRE": "NOTA DE REMISIÓN ELECTRÓNICA",
}


def example_xml(name: str) -> bytes:
    return (shared_examples_dir() / f"{name}_v150_20190910.xml").read_bytes()


def cdc_line(cdc: str) -> str:
    return "CDC: " + " ".join(cdc[i : i + 4] for i in range(0, 44, 4))


# --- the official 2019 examples, through the lenient reader -------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_official_examples_render(renderer: KudeRenderer, tmp_path: Path, name: str, fmt: str) -> None:
    xml = example_xml(name)
    view = read_rde(xml)
    pdf = renderer.render(xml, format=fmt)
    assert pdf.startswith(b"%PDF-")
    text = squash(pdf_text(pdf, tmp_path))
    assert EXAMPLES[name] in text
    assert f"N° {view.number}" in text  # MT v150 §13: EEE-PPP-NNNNNNN
    assert f"Timbrado N° {view.gTimb.dNumTim}" in text
    assert f"RUC {view.gEmis.ruc}" in text
    assert view.gDatRec.dNomRec in text
    # the CDC in 11 groups of four; the ticket may wrap the line, so compare without line breaks
    assert cdc_line(view.cdc).replace(" ", "") in text.replace(" ", "")
    assert "REPRESENTACIÓN GRÁFICA DE UN DOCUMENTO ELECTRÓNICO" in text


def test_fe_example_values_a4(renderer: KudeRenderer, tmp_path: Path) -> None:
    text = squash(pdf_text(renderer.render(example_xml("FE")), tmp_path))
    assert "CUENTAS ACTIVAS" in text and "TARJETA URGENTE" in text
    assert "53.320.791,70" in text  # a supplier's guaraníes with cents are shown, not hidden
    assert "3.312.540" in text and "423.378" in text and "125,94133776" in text
    assert "Condición de venta: Crédito" in text and "Plazo: 28" in text
    # the example's QR points to the test environment → test legend (MT v150 D105)
    assert "AMBIENTE DE PRUEBA" in text
    assert "https://ekuatia.set.gov.py/consultas-test/" in text


@pytest.mark.parametrize("name", ["FE", "NC", "ND", "AFE"])
def test_official_example_qr_decodes_to_dcarqr(renderer: KudeRenderer, tmp_path: Path, name: str) -> None:
    xml = example_xml(name)
    expected = read_rde(xml).dCarQR
    assert expected
    assert decode_qr(page_png(renderer.render(xml), tmp_path)) == [expected]


def test_nre_example_without_qr_renders_placeholder(renderer: KudeRenderer, tmp_path: Path) -> None:
    pdf = renderer.render(example_xml("NRE"))
    text = squash(pdf_text(pdf, tmp_path))
    assert "QR no disponible" in text
    # NR: transport and traslado data, no totals (MT v150 §8.3: gTotSub forbidden for NRE)
    for fragment in ("Motivo: Traslado por consignación", "Mauro Caceres", "Margarita Fernández", "Suzuki"):
        assert fragment in text
    assert "Total a pagar" not in text
    assert "Factura N° 001-001-9000032" in text  # printed associated document


# --- our documents of every type, both formats ----------------------------------------------------------


KINDS = ["fe", "afe", "nc", "nd", "nr", "recibo"]
TITLES = {
    "fe": "FACTURA ELECTRÓNICA",
    "afe": "AUTOFACTURA ELECTRÓNICA",
    "nc": "NOTA DE CRÉDITO ELECTRÓNICA",
    "nd": "NOTA DE DÉBITO ELECTRÓNICA",
    "nr": "NOTA DE REMISIÓN ELECTRÓNICA",
    "recibo": "RECIBO ELECTRÓNICO",
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_type_renders_with_decodable_qr(
    renderer: KudeRenderer, tmp_path: Path, kind: str, fmt: str
) -> None:
    sample = sample_rde(kind, items=4)
    pdf = renderer.render(sample.xml, format=fmt)
    text = squash(pdf_text(pdf, tmp_path))
    assert TITLES[kind] in text
    assert "N° 001-001-0000001" in text
    assert cdc_line(sample.cdc).replace(" ", "") in text.replace(" ", "")
    assert "Arroz tipo 1 Doña Chela 1 kg" in text
    # MT v150 §13.8: the QR carries dCarQR exactly
    assert decode_qr(page_png(pdf, tmp_path)) == [sample.qr]


def test_fe_a4_totals_and_iva_breakdown(renderer: KudeRenderer, tmp_path: Path) -> None:
    # 10 items: 10 % items 2.500 + 37.800 + 49.500 + 300.000 + 42.000 = 431.800;
    # 5 % items 31.600 + 6.200 + 17.700 + 5.400 = 60.900; exento 340.000 → total 832.700
    sample = sample_rde("fe", items=10)
    view = read_rde(sample.xml)
    assert view.gTotSub is not None and view.gTotSub.dTotGralOpe == 832700
    text = squash(pdf_text(renderer.render(sample.xml), tmp_path))
    assert "Subtotal 340.000 60.900 431.800" in text  # MT v150 F002/F004/F005 per column
    # an item row: code, description, quantity with its unit (E711 + E710), unit price, value
    assert "7840001000029 Yerba mate Pajarito compuesta 500 g 2 UNI 18.900 37.800" in text
    assert "Total de la operación ₲ 832.700" in text
    assert "Total a pagar (PYG) ₲ 832.700" in text
    iva5, iva10 = view.gTotSub.dIVA5, view.gTotSub.dIVA10
    assert iva5 is not None and iva10 is not None
    # Liquidación del IVA (F015, F016, F017), thousands separated with "."
    assert f"Liquidación del IVA 5%: {iva5:,} 10%: {iva10:,}".replace(",", ".") in text
    assert f"Total: {iva5 + iva10:,}".replace(",", ".") in text
    assert "Nombre o razón social: Comercial Guaraní S.R.L." in text and "RUC: 80002201-7" in text
    assert "Correo electrónico: compras@comercialguarani.com.py" in text
    assert "Condición de venta: Contado" in text and "Efectivo: ₲ 832.700" in text


def test_foreign_currency_shows_decimals_rate_and_guaranies(renderer: KudeRenderer, tmp_path: Path) -> None:
    sample = sample_rde("fe", items=3, currency="USD")
    view = read_rde(sample.xml)
    assert view.gTotSub is not None and view.gTotSub.dTotalGs is not None
    for fmt in FORMATS:
        text = squash(pdf_text(renderer.render(sample.xml, format=fmt), tmp_path))
        assert "Moneda: USD - US Dollar" in text
        assert "Tipo de cambio: 7.350,25" in text
        assert "US$ 12,20" in text  # two decimals with a decimal comma
        assert f"Total en guaraníes ₲ {view.gTotSub.dTotalGs:,}".replace(",", ".") in text


def test_credit_with_cuotas(renderer: KudeRenderer, tmp_path: Path) -> None:
    sample = sample_rde("fe", items=2, credit=True)
    text = squash(pdf_text(renderer.render(sample.xml), tmp_path))
    assert "Condición: Crédito" in text and "Cuotas (2)" in text
    # 2.500 × 1 + 18.900 × 2 = 40.300 in two cuotas of 20.150
    assert "1 20/12/2026 ₲ 20.150" in text and "2 20/01/2027 ₲ 20.150" in text


def test_nc_shows_motivo_and_associated_cdc(renderer: KudeRenderer, tmp_path: Path) -> None:
    sample = sample_rde("nc", items=2)
    view = read_rde(sample.xml)
    ref = view.gCamDEAsoc[0].dCdCDERef
    assert ref is not None
    text = squash(pdf_text(renderer.render(sample.xml), tmp_path))
    assert "Motivo de emisión: Devolución" in text
    assert "Documento asociado Electrónico · CDC " + " ".join(ref[i : i + 4] for i in range(0, 44, 4)) in text


def test_afe_shows_vendor_and_constancia(renderer: KudeRenderer, tmp_path: Path) -> None:
    text = squash(pdf_text(renderer.render(sample_rde("afe", items=2).xml), tmp_path))
    assert "Datos del vendedor" in text and "Nombre: María Benítez" in text
    assert "Cédula paraguaya: 1234567" in text
    assert "Constancia de no ser contribuyente, N° 12345678901" in text
    assert "Liquidación del IVA" not in text  # the AFE carries no IVA liquidation


def test_recibo_shows_payments(renderer: KudeRenderer, tmp_path: Path) -> None:
    text = squash(pdf_text(renderer.render(sample_rde("recibo", items=1).xml), tmp_path))
    assert "Transferencia bancaria 987654 Cobro de la factura" in text and "001-001-0000001" in text
    assert "Consulte la validez de este Recibo electrónico" in text
    assert "Total recibido (PYG) ₲ 2.500" in text


# --- legends, pagination, formats, options --------------------------------------------------------------


def test_environment_legends(renderer: KudeRenderer, tmp_path: Path) -> None:
    xml = sample_rde("fe", items=1, test=False).xml
    simulado = squash(pdf_text(renderer.render(xml, environment="simulado"), tmp_path))
    assert LEGEND_SIMULADO.upper() in simulado.upper()
    assert "GENERADO DESDE UN AMBIENTE NO CONECTADO A LA SET" in simulado
    test = squash(pdf_text(renderer.render(xml, environment="test"), tmp_path))
    assert "AMBIENTE DE PRUEBA - SIN VALOR COMERCIAL NI FISCAL" in test
    prod = squash(pdf_text(renderer.render(xml), tmp_path))  # inferred from the production QR URL
    assert "AMBIENTE" not in prod
    assert "https://ekuatia.set.gov.py/consultas/" in prod
    ticket = squash(pdf_text(renderer.render(xml, format="ticket", environment="simulado"), tmp_path))
    assert "NO CONECTADO A LA SET" in ticket


def test_long_document_paginates_with_repeated_headers(renderer: KudeRenderer, tmp_path: Path) -> None:
    sample = sample_rde("fe", items=120)
    pdf = renderer.render(sample.xml)
    pages = int(pdf_info(pdf, tmp_path)["Pages"])
    assert pages >= 3
    first = squash(pdf_text(pdf, tmp_path, first=1, last=1))
    second = squash(pdf_text(pdf, tmp_path, first=2, last=2))
    last = squash(pdf_text(pdf, tmp_path, first=pages, last=pages))
    # page 2 repeats a compact document header and the items table header
    assert "FACTURA ELECTRÓNICA N° 001-001-0000001" in second and "RUC 80069563-1" in second
    assert "Código Descripción Cantidad Precio unitario" in second
    assert f"Página 2 de {pages}" in second and f"Página 1 de {pages}" in first
    # totals, QR and CDC only once, after the last item
    assert "Total a pagar" not in first and "Total a pagar" not in second
    assert "Total a pagar (PYG)" in last and cdc_line(sample.cdc) in last
    assert decode_qr(page_png(pdf, tmp_path, page=pages)) == [sample.qr]


def test_page_sizes(renderer: KudeRenderer, tmp_path: Path) -> None:
    xml = sample_rde("fe", items=5).xml
    a4 = pdf_info(renderer.render(xml), tmp_path)["Page size"]
    assert a4.startswith("595.") and " x 841." in a4  # A4 in points
    ticket = pdf_info(renderer.render(xml, format="ticket"), tmp_path)["Page size"]
    width, height = (float(x) for x in re.findall(r"[\d.]+", ticket)[:2])
    assert round(width / 72 * 25.4) == 80  # 80 mm roll
    assert 100 < height / 72 * 25.4 < 400  # trimmed to the content, not a fixed long page


def test_logo_is_embedded(renderer: KudeRenderer, tmp_path: Path) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (60, 30), (200, 30, 30)).save(buffer, format="PNG")
    xml = sample_rde("fe", items=1).xml
    with_logo = renderer.render(xml, logo=buffer.getvalue())
    without = renderer.render(xml)
    assert with_logo.count(b"/Subtype /Image") == without.count(b"/Subtype /Image") + 1


def test_render_many_one_kude_per_page_set(tmp_path: Path) -> None:
    samples = [sample_rde(k, items=2, number=n) for n, k in enumerate(["fe", "nc", "nr"], start=1)]
    pdf = render_many([s.xml for s in samples])
    assert int(pdf_info(pdf, tmp_path)["Pages"]) == 3
    for page, sample in enumerate(samples, start=1):
        text = squash(pdf_text(pdf, tmp_path, first=page, last=page))
        assert cdc_line(sample.cdc) in text
        assert "Página 1 de 1" in text  # each KuDE numbers its own pages
        assert decode_qr(page_png(pdf, tmp_path, page=page)) == [sample.qr]


# --- bad input: stable code, Spanish message, never a traceback ----------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"xml": b"<no-es-un-rde/>"}, "KUDE_XML_INVALIDO"),
        ({"xml": b"basura"}, "KUDE_XML_INVALIDO"),
        ({"format": "a5"}, "KUDE_FORMATO_INVALIDO"),
        ({"environment": "prod"}, "KUDE_AMBIENTE_INVALIDO"),
        ({"logo": b"GIF-no"}, "KUDE_LOGO_INVALIDO"),
        ({"logo": b""}, "KUDE_LOGO_INVALIDO"),
    ],
)
def test_bad_input(kwargs: dict[str, object], code: str) -> None:
    args: dict[str, object] = {"xml": sample_rde("fe", items=1).xml, **kwargs}
    with pytest.raises(KudeError) as info:
        render_kude(**args)
    assert info.value.code == code and info.value.message


def test_render_many_reports_which_document_is_bad() -> None:
    with pytest.raises(KudeError) as info:
        render_many([sample_rde("fe", items=1).xml, b"<x/>"])
    assert info.value.code == "KUDE_XML_INVALIDO" and info.value.path.startswith("xml[1]")
    with pytest.raises(KudeError) as empty:
        render_many([])
    assert empty.value.code == "KUDE_SIN_DOCUMENTOS"


def test_text_from_the_xml_is_escaped(renderer: KudeRenderer, tmp_path: Path) -> None:
    xml = sample_rde("fe", items=1).xml.replace(
        "Arroz tipo 1 Doña Chela 1 kg".encode(), b"Arroz &lt;b&gt;negrita&lt;/b&gt; &amp; &lt;img src=x&gt;"
    )
    text = squash(pdf_text(renderer.render(xml), tmp_path))
    assert "Arroz <b>negrita</b> & <img src=x>" in text


def test_characters_outside_the_kude_font_still_render(renderer: KudeRenderer, tmp_path: Path) -> None:
    xml = sample_rde("fe", items=1).xml.replace(b"Arroz tipo 1", "Arroz Ω ≥ ✓ 日本".encode())
    text = squash(pdf_text(renderer.render(xml), tmp_path))
    assert "Arroz Ω ≥" in text
