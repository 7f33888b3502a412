"""KuDE of the recibo digital of FacturaSend's documented example: the documents paid with the amount
applied and the IVA / renta withheld on each (docs/recibo_v1.xsd gDocRec), and the recalculated total."""

from __future__ import annotations

from pathlib import Path

import pytest

from sifenflow_common.documents.engine import build_document
from sifenflow_common.facturasend.tolerance import tolerate
from sifenflow_common.kude.render import KudeRenderer
from tests.fixtures.documents import load_fixture
from tests.fixtures.recibo_seed import seed_recibo

from .conftest import pdf_text, squash

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("fmt", ["a4", "ticket"])
def test_recibo_kude_shows_both_retentions(renderer: KudeRenderer, tmp_path: Path, fmt: str) -> None:
    body = seed_recibo(tipoDocumento=55, punto="001", fecha="2024-10-26T15:59:43")
    built = build_document(load_fixture("recibo")["params"], tolerate(body).data)
    text = squash(pdf_text(renderer.render(built.xml, format=fmt), tmp_path))
    assert "Retención IVA" in text and "Retención" in text.replace("Retención IVA", "")
    assert "185.000 10.000 5.000" in text, text  # monto aplicado, IVA and renta withheld, one row
    assert "186.000" in text
    assert "Total recibido (PYG) ₲ 371.000" in text


def test_recibo_without_retentions_has_no_retention_columns(renderer: KudeRenderer, tmp_path: Path) -> None:
    fx = load_fixture("recibo")
    text = squash(pdf_text(renderer.render(build_document(fx["params"], fx["data"]).xml), tmp_path))
    assert "Retención IVA" not in text
