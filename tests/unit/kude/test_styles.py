"""Computed styles shared across renders (``sifenflow_common.kude.styles``, issue 7 item 6: speed).

The cache may only make rendering faster: every PDF must be byte-for-byte the one weasyprint writes
without it, for every document type, both formats, our documents and the official examples, also
when a document is rendered after documents of other shapes (the cache then holds their styles).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import weasyprint
import weasyprint.css

from sifenflow_common.kude import styles
from sifenflow_common.kude.render import KudeRenderer
from sifenflow_kude.samples import sample_rde
from tests.conftest import shared_examples_dir

pytestmark = pytest.mark.unit

OURS = [
    sample_rde("fe", items=3).xml,
    sample_rde("fe", items=12, currency="USD", credit=True, number=2).xml,
    sample_rde("afe", items=2).xml,
    sample_rde("nc", items=2).xml,
    sample_rde("nd", items=1).xml,
    sample_rde("nr", items=4).xml,
    sample_rde("recibo", items=2).xml,
    sample_rde("fe", items=45, number=3).xml,  # two A4 pages: repeated header and table head
]


def official() -> list[bytes]:
    return [path.read_bytes() for path in sorted(shared_examples_dir().glob("*_v150_20190910.xml"))]


@pytest.mark.parametrize("with_official", [False, True], ids=["ours", "ours+official"])
@pytest.mark.parametrize("fmt", ["a4", "ticket"])
def test_pdfs_are_byte_identical_with_and_without_the_cache(fmt: str, with_official: bool) -> None:
    documents = OURS + (official() if with_official else [])
    plain = KudeRenderer(share_styles=False)
    shared = KudeRenderer()
    expected = [plain.render(xml, format=fmt) for xml in documents]  # type: ignore[arg-type]
    first = [shared.render(xml, format=fmt) for xml in documents]  # type: ignore[arg-type]
    again = [shared.render(xml, format=fmt) for xml in reversed(documents)][::-1]  # type: ignore[arg-type]
    assert shared.style_cache is not None and shared.style_cache.hits > 0
    for index, pdf in enumerate(expected):
        assert first[index] == pdf, f"document {index} differs on its first render"
        assert again[index] == pdf, f"document {index} differs when rendered from the cache"


def test_a_document_of_a_known_shape_computes_no_new_style() -> None:
    renderer = KudeRenderer()
    renderer.render(sample_rde("fe", items=10, number=1).xml)
    cache = renderer.style_cache
    assert cache is not None
    misses, hits = cache.misses, cache.hits
    # another FE: other number, CDC, amounts and QR, the same markup structure
    renderer.render(sample_rde("fe", items=10, number=7).xml)
    assert cache.misses == misses
    assert cache.hits > hits


def test_other_weasyprint_documents_are_left_alone() -> None:
    KudeRenderer()  # installs the StyleFor subclass
    assert weasyprint.css.StyleFor is styles._CachingStyleFor
    html = weasyprint.HTML(string="<p style='color: red'>hola</p><p>chau</p>")
    document = html.render()
    assert not hasattr(html, "cache_styles")
    assert len(document.pages) == 1
    assert document.write_pdf().startswith(b"%PDF")


def test_install_is_idempotent() -> None:
    assert styles.install()
    assert styles.install()
    assert weasyprint.css.StyleFor is styles._CachingStyleFor


def test_the_cache_is_bounded() -> None:
    cache = styles.StyleCache(max_entries=2)
    cache.put(("a",), SimpleNamespace())
    cache.put(("b",), SimpleNamespace())
    cache.put(("c",), SimpleNamespace())  # full: emptied, then stored
    assert list(cache.entries) == [("c",)]
    assert cache.get(("a",)) is None and cache.misses == 1
    assert cache.get(("c",)) is not None and cache.hits == 1


def test_styles_handed_out_by_the_cache_are_marked_shared() -> None:
    cache = styles.StyleCache()
    style = SimpleNamespace()
    assert not styles.is_shared(style)
    cache.put(("k",), style)
    assert styles.is_shared(style)
    assert not styles.is_shared(object())  # no attributes at all
