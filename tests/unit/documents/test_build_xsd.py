"""Every fixture builds and its rDE validates against the official siRecepDE_v150.xsd.

MT v150 §7 (Schema XML 1): the rDE with DE, Signature and gCamFuFD. The signature here is a
structurally valid placeholder (see conftest.py); signing is tested by the signer area.
"""

from __future__ import annotations

import pytest

from sifenflow_common.documents.engine import build_document
from sifenflow_common.sifen.cdc import is_valid_cdc
from sifenflow_common.sifen.xsd import SCHEMA_RDE, schema_errors
from tests.fixtures.documents import FIXTURE_NAMES, load_fixture
from tests.unit.documents.conftest import FIXED_NOW, with_placeholder_signature

pytestmark = pytest.mark.unit

DE_FIXTURES = [n for n in FIXTURE_NAMES if n != "recibo"]


@pytest.mark.parametrize("name", DE_FIXTURES)
def test_fixture_builds_and_validates_against_official_xsd(name: str) -> None:
    fx = load_fixture(name)
    built = build_document(fx["params"], fx["data"], now=FIXED_NOW)
    errors = schema_errors(with_placeholder_signature(built.xml), SCHEMA_RDE)
    assert errors == [], errors
    assert is_valid_cdc(built.cdc)
    assert built.cdc[:2] == f"{built.tipo_documento:02d}"
    assert not built.xml.startswith(b"<?xml")
    assert b"\n" not in built.xml  # compact, never pretty-printed
