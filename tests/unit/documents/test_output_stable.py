"""The engine's bytes do not drift: every fixture builds to the same XML as when the digests were
recorded (MT v150 §7: the signed rDE is these bytes, so a refactor for speed must not change them).

Regenerate the digests only for an intended output change:
``python -m tests.unit.documents.test_output_stable``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

from sifenflow_common.documents.engine import build_document
from sifenflow_common.facturasend.text import has_non_xml_bytes
from tests.fixtures.documents import FIXTURE_NAMES, load_fixture

pytestmark = pytest.mark.unit

DIGESTS = Path(__file__).with_name("output_digests.json")
NOW = datetime(2024, 6, 15, 10, 31, 0)


def _digest(name: str, environment: str) -> str:
    fx = load_fixture(name)
    fx["data"].setdefault("codigoSeguridadAleatorio", "123456789")  # fixed dCodSeg → fixed CDC
    built = build_document(fx["params"], fx["data"], environment=environment, now=NOW)  # type: ignore[arg-type]
    return hashlib.sha256(built.xml).hexdigest()


def _all_digests() -> dict[str, str]:
    return {f"{n}/{env}": _digest(n, env) for n in FIXTURE_NAMES for env in ("test", "produccion")}


def test_every_fixture_builds_the_recorded_bytes() -> None:
    expected = json.loads(DIGESTS.read_text(encoding="utf-8"))
    assert _all_digests() == expected


# XML 1.0 Char production (MT v150 §7.2.4 requires well-formed XML): the code points it excludes
# among those UTF-8 can encode (surrogates cannot be encoded at all).
_NOT_XML = {*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF}


@pytest.mark.parametrize("block", [range(0x0000, 0x0800), range(0xF000, 0x10010), range(0x10FF00, 0x110000)])
def test_non_xml_bytes_detects_exactly_the_excluded_characters(block: range) -> None:
    for cp in block:
        if 0xD800 <= cp <= 0xDFFF:
            continue
        text = f"<a>x{chr(cp)}y</a>".encode()
        assert has_non_xml_bytes(text) is (cp in _NOT_XML), hex(cp)


if __name__ == "__main__":
    DIGESTS.write_text(json.dumps(_all_digests(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
