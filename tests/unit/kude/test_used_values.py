"""Box dimensions kept per shared style (``sifenflow_common.kude.used_values``, issue 7 item 6: speed).

That PDFs stay byte-identical with this in place is checked by ``test_styles.py`` (its renderer with
shared styles uses it; the plain one lays out every box the weasyprint way). Here: that later renders
really reuse the values, and that what must be left to weasyprint is.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import weasyprint

from sifenflow_common.kude import styles, used_values
from sifenflow_common.kude.render import KudeRenderer
from sifenflow_kude.samples import sample_rde

pytestmark = pytest.mark.unit


class SharedStyle(dict[str, Any]):
    """A stand-in for a weasyprint style handed out by a ``StyleCache``."""

    def __init__(self, **values: Any) -> None:
        super().__init__(border_collapse="separate", **values)
        self.__dict__[styles.SHARED] = True


def counting(monkeypatch: pytest.MonkeyPatch, fake: Callable[[Any, Any], None] | None = None) -> list[Any]:
    """Replace weasyprint's own resolve_percentages (as called by ours) with a recorder."""
    calls: list[Any] = []
    original = fake or used_values._weasyprint_resolve

    def record(box: Any, containing_block: Any) -> None:
        calls.append(box)
        original(box, containing_block)

    monkeypatch.setattr(used_values, "_weasyprint_resolve", record)
    return calls


def fake_resolve(box: Any, containing_block: Any) -> None:
    width, height = containing_block
    for name in used_values.USED_VALUES:
        setattr(box, name, 0)
    box.width = width - 2 * box.style["padding"]
    box.height = height


def test_install_replaces_the_function_in_every_layout_module() -> None:
    KudeRenderer()
    assert used_values.install()
    assert used_values.install()  # idempotent
    for name in ("block", "table", "inline", "page", "float", "absolute"):
        module = importlib.import_module(f"weasyprint.layout.{name}")
        assert module.resolve_percentages is used_values.resolve_percentages, name


def test_a_document_of_a_known_shape_reuses_the_dimensions(monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = KudeRenderer()
    renderer.render(sample_rde("fe", items=10, number=1).xml)
    calls = counting(monkeypatch)
    total: list[Any] = []
    ours = used_values.resolve_percentages

    def count_all(box: Any, containing_block: Any) -> None:
        total.append(box)
        ours(box, containing_block)

    for name in ("block", "table", "inline", "page"):
        monkeypatch.setattr(
            importlib.import_module(f"weasyprint.layout.{name}"), "resolve_percentages", count_all
        )
    # another FE: other number, CDC, amounts and QR, the same markup structure
    renderer.render(sample_rde("fe", items=10, number=7).xml)
    assert len(total) > 300
    # left to weasyprint: the page and its margin boxes, whose styles are made per page, and the
    # few boxes whose containing block differs with the content (tables under text of any length)
    assert any(type(box).__name__ == "PageBox" for box in calls)
    assert len(calls) < len(total) // 8


def test_values_are_reused_per_containing_block(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting(monkeypatch, fake_resolve)
    style = SharedStyle(padding=3)
    first, second, third = (SimpleNamespace(style=style) for _ in range(3))
    used_values.resolve_percentages(first, (100, 50))
    used_values.resolve_percentages(second, (100, 50))
    used_values.resolve_percentages(third, (80, 50))  # another containing block: resolved again
    assert calls == [first, third]
    assert (second.width, second.height, second.margin_left) == (94, 50, 0)
    assert third.width == 74


def test_styles_not_shared_are_left_to_weasyprint(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = counting(monkeypatch, fake_resolve)
    style = SharedStyle(padding=1)
    del style.__dict__[styles.SHARED]
    boxes = [SimpleNamespace(style=style) for _ in range(2)]
    for box in boxes:
        used_values.resolve_percentages(box, (10, 10))
    assert calls == boxes
    assert used_values.MEMO not in style.__dict__


def test_collapsed_borders_are_left_to_weasyprint(monkeypatch: pytest.MonkeyPatch) -> None:
    # border widths of collapsed borders come from the border-conflict resolution, not the style
    calls = counting(monkeypatch, fake_resolve)
    style = SharedStyle(padding=1)
    style["border_collapse"] = "collapse"
    boxes = [SimpleNamespace(style=style) for _ in range(2)]
    for box in boxes:
        used_values.resolve_percentages(box, (10, 10))
    assert calls == boxes


def test_other_weasyprint_documents_keep_no_values() -> None:
    KudeRenderer()
    html = weasyprint.HTML(string="<table><tr><td style='padding: 10%'>a</td></tr></table><p>b</p>")
    document = html.render()
    root = document.pages[0]._page_box
    assert all(used_values.MEMO not in box.style.__dict__ for box in root.descendants())


def test_the_values_per_style_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    counting(monkeypatch, fake_resolve)
    monkeypatch.setattr(used_values, "MAX_ENTRIES_PER_STYLE", 3)
    style = SharedStyle(padding=0)
    for width in range(10):
        used_values.resolve_percentages(SimpleNamespace(style=style), (width, 1))
    assert 1 <= len(style.__dict__[used_values.MEMO]) <= 3
