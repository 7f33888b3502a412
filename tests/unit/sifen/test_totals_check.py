"""Recomputing a received DE's totals (simulator side), MT v150 §E8 / §F."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sifenflow_common.documents.engine import build_document
from sifenflow_common.sifen.totals_check import recompute, totals_mismatches
from sifenflow_common.sifen.xml_read import read_rde
from tests.fixtures.documents import FIXTURE_NAMES, load_fixture

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", [n for n in FIXTURE_NAMES if n != "recibo"])
def test_engine_documents_recompute_without_mismatch(name: str) -> None:
    fx = load_fixture(name)
    built = build_document(fx["params"], fx["data"])
    view = read_rde(built.xml)
    assert totals_mismatches(view) == []
    result = recompute(view)
    if result is not None:
        assert result[1].dTotGralOpe == built.totals["dTotGralOpe"]


def test_tampered_general_total_is_reported() -> None:
    fx = load_fixture("fe_contado")
    xml = build_document(fx["params"], fx["data"]).xml
    tampered = xml.replace(b"<dTotGralOpe>150000<", b"<dTotGralOpe>150500<")
    found = totals_mismatches(read_rde(tampered))
    assert [(m.field, m.declared, m.expected) for m in found] == [
        ("dTotGralOpe", Decimal(150500), Decimal(150000))
    ]


def test_tampered_item_iva_is_reported() -> None:
    fx = load_fixture("fe_contado")
    xml = build_document(fx["params"], fx["data"]).xml
    # first item: 100000 at 10 % → dLiqIVAItem 9091 (E736 = E735 × 10 / 100)
    tampered = xml.replace(b"<dLiqIVAItem>9091<", b"<dLiqIVAItem>9500<", 1)
    fields = {m.field for m in totals_mismatches(read_rde(tampered))}
    assert "gCamItem[0].dLiqIVAItem" in fields


def test_nre_has_nothing_to_recompute() -> None:
    fx = load_fixture("nre_transporte")
    view = read_rde(build_document(fx["params"], fx["data"]).xml)
    assert recompute(view) is None and totals_mismatches(view) == []
