"""The parse-free signing path (``fast_sign``) must give exactly the bytes of the lxml path (MT v150
§7.6 signature profile, §13.8 QR): every engine fixture, texts that need escaping, and inputs it
must refuse (then ``sign_rde_with_qr`` takes the lxml path)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sifenflow_common.documents.engine import build_document
from sifenflow_common.sifen.certificates import SigningCredentials
from sifenflow_common.sifen.fast_sign import fast_sign_rde_with_qr
from sifenflow_common.sifen.qr import sign_rde_with_qr, sign_rde_with_qr_lxml, verify_qr
from sifenflow_common.sifen.signature import verify_rde
from tests.fixtures.documents import FIXTURE_NAMES, load_fixture
from tests.fixtures.signing.unsigned_rde import RdeSpec, unsigned_rde
from tests.unit.signing.conftest import CSC, SIGNED_AT

pytestmark = pytest.mark.unit

SIFEN_FIXTURES = [n for n in FIXTURE_NAMES if n != "recibo"]


def both(unsigned: bytes, credentials: SigningCredentials) -> tuple[bytes | None, bytes]:
    kw = {"csc_id": "0001", "csc": CSC, "environment": "test", "signed_at": SIGNED_AT}
    return (
        fast_sign_rde_with_qr(unsigned, credentials, **kw),  # type: ignore[arg-type]
        sign_rde_with_qr_lxml(unsigned, credentials, **kw),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("name", SIFEN_FIXTURES)
def test_every_engine_document_signs_to_the_same_bytes_without_a_parse(
    name: str, credentials: SigningCredentials
) -> None:
    fixture = load_fixture(name)
    unsigned = bytes(build_document(fixture["params"], fixture["data"], environment="test").xml)
    fast, slow = both(unsigned, credentials)
    assert fast is not None, "engine output must take the fast path"
    assert fast == slow
    assert verify_rde(fast).ok and verify_qr(fast, CSC)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(str.strip)
)
def test_texts_that_need_escaping_still_give_the_same_bytes(
    text: str, credentials: SigningCredentials
) -> None:
    fixture = load_fixture("fe_contado")
    data = dict(fixture["data"])
    data["observacion"] = text
    data["items"] = [dict(data["items"][0], descripcion=f"<{text}> & {text}")]
    try:
        built = build_document(fixture["params"], data, environment="test")
    except Exception:  # the engine refused the text (e.g. only spaces): nothing to sign
        return
    fast, slow = both(bytes(built.xml), credentials)
    assert fast is not None and fast == slow


def test_what_the_writer_never_writes_goes_the_lxml_way(credentials: SigningCredentials) -> None:
    pretty = unsigned_rde(RdeSpec(items=2)).replace(b"><", b">\n<")
    assert both(pretty, credentials)[0] is None
    fixture = load_fixture("fe_contado")
    unsigned = bytes(build_document(fixture["params"], fixture["data"], environment="test").xml)
    for variant in (
        unsigned.replace(b"<dVerFor>", b"<!-- x --><dVerFor>"),
        unsigned.replace(b"</DE>", b"<dX/></DE>"),
        unsigned.replace(b"<gTimb>", b'<gTimb a="1">'),
        unsigned.replace(b"<gTimb>", b"<gTimb >"),
        unsigned.replace(b"<gTimb>", b"<gTimb b>"),
        unsigned.replace(b"<dDesTiDE>", b"<dDesTiDE>a>b", 1),  # raw '>' in text: c14n writes &gt;
        unsigned.replace(b"<dDesTiDE>", b"<dDesTiDE>&quot;", 1),  # c14n writes the character
        unsigned.replace(b"<dDesTiDE>", b"<dDesTiDE> ", 1),  # whitespace after a tag
        unsigned.replace(b"<dDesTiDE>", b"<dDesTiDE>\x0b", 1),  # not an XML character
        unsigned.replace(b"<dDesTiDE>", b"<dDesTiDE>\xff", 1),  # not UTF-8
        unsigned.replace(b"<gTimb>", b"<gTimb> <x>", 1).replace(b"</gTimb>", b"</x></gTimb>", 1),
        unsigned.replace(b"</gTimb>", b"</gTimb\t>"),
        unsigned.replace(b"<gTimb>", b"<gTimb>\n"),
        unsigned.replace(b"<gTimb>", b"<gTimb>&#65;", 1),
        unsigned.replace(b"</DE></rDE>", b"</DE><gCamFuFD><dInfAdic>x</dInfAdic></gCamFuFD></rDE>"),
    ):
        # refused, or (a text that merely starts with a space) exactly what the lxml path gives
        fast = fast_sign_rde_with_qr(
            variant, credentials, csc_id="0001", csc=CSC, environment="test", signed_at=SIGNED_AT
        )
        if fast is not None:
            assert fast == sign_rde_with_qr_lxml(
                variant, credentials, csc_id="0001", csc=CSC, environment="test", signed_at=SIGNED_AT
            )
    kw = {"csc_id": "0001", "csc": CSC, "environment": "test", "signed_at": SIGNED_AT}
    assert sign_rde_with_qr(pretty, credentials, **kw) == sign_rde_with_qr_lxml(pretty, credentials, **kw)  # type: ignore[arg-type]
