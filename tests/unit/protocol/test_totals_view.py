"""The simulator's light view for the totals re-computation gives exactly the reader's result
(MT v150 §E8 / §F via ``sifen.totals_check``), on every engine document and on tampered ones."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from sifenflow_common.documents.engine import build_document
from sifenflow_common.sifen.totals_check import totals_mismatches
from sifenflow_common.sifen.xml_read import read_rde
from sifenflow_sifen_sim.totals_check import amounts_view
from tests.fixtures.documents import FIXTURE_NAMES, load_fixture

pytestmark = pytest.mark.unit


def _variants(xml: bytes) -> list[bytes]:
    out = [xml]
    for tag in (b"dTotOpeItem", b"dLiqIVAItem", b"dSub10", b"dTotGralOpe", b"dIVA10"):
        match = re.search(rb"<" + tag + rb">([0-9.]+)</" + tag + rb">", xml)
        if match:
            value = str(float(match.group(1)) + 7).encode()
            out.append(xml[: match.start(1)] + value + xml[match.end(1) :])
    return out


@pytest.mark.parametrize("name", [n for n in FIXTURE_NAMES if n not in {"recibo"}])
def test_light_view_matches_the_reader(name: str) -> None:
    fx = load_fixture(name)
    built = build_document(fx["params"], fx["data"])
    for xml in _variants(built.xml):
        root = etree.fromstring(xml)
        light = amounts_view(root, built.tipo_documento)
        expected = totals_mismatches(read_rde(xml))
        if light is None:  # items without values (NRE): nothing to recompute either way
            assert expected == []
        else:
            assert totals_mismatches(light) == expected
