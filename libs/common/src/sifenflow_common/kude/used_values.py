"""Box dimensions resolved once per shared style and containing block, then reused.

Before laying out a box, weasyprint's ``resolve_percentages`` turns its computed margins, paddings,
widths, heights and border widths into used values: some twenty style lookups and attribute writes,
about 420 times per 10-item A4 KuDE (table cells and their lines are laid out more than once), ~8 %
of a render. For a box whose style comes from the ``StyleCache`` (``styles.py``), those values depend
only on the style and the containing block's width and height, and the same styles in the same
columns come back on every render. So the values are kept in a small dictionary stored on the style
itself, under ``(containing width, containing height, is a page box)``, and copied onto later boxes.

Left to weasyprint: styles not shared by a ``StyleCache`` (other documents, page and pseudo-element
styles, copies made during layout), and boxes with collapsed borders, whose border widths come from
the border-conflict resolution rather than from the style. ``tests/unit/kude/test_styles.py`` checks
that PDFs are byte-identical with and without this.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import weasyprint.layout
import weasyprint.layout.percent
from weasyprint.css import AnonymousStyle
from weasyprint.formatting_structure.boxes import Box, PageBox

from sifenflow_common.kude import styles

MEMO = "_sifenflow_used_values"
MAX_ENTRIES_PER_STYLE = 64  # the KuDE needs 1-4 per style; a bound for layouts that keep varying
USED_VALUES = (  # every attribute resolve_percentages sets on a box
    "margin_top",
    "margin_right",
    "margin_bottom",
    "margin_left",
    "padding_top",
    "padding_right",
    "padding_bottom",
    "padding_left",
    "width",
    "min_width",
    "max_width",
    "height",
    "min_height",
    "max_height",
    "border_top_width",
    "border_right_width",
    "border_bottom_width",
    "border_left_width",
)

_weasyprint_resolve = weasyprint.layout.percent.resolve_percentages


def _memo(style: Any) -> dict[tuple[Any, ...], dict[str, Any]] | None:
    attributes = style.__dict__
    memo = attributes.get(MEMO)
    if memo is None and styles.is_shared(style):
        memo = attributes[MEMO] = {}
    elif memo is None and type(style) is AnonymousStyle:
        # the anonymous style weasyprint keeps on a shared style (lines, anonymous blocks) is as
        # long-lived as it; a copy made during layout is not
        parent = style.parent_style
        if styles.is_shared(parent) and parent.__dict__.get("anonymous_style") is style:
            memo = attributes[MEMO] = {}
    return memo


def resolve_percentages(box: Any, containing_block: Any) -> None:
    """``weasyprint.layout.percent.resolve_percentages`` with the used values kept per style."""
    style = box.style
    memo = _memo(style)
    if memo is None:
        _weasyprint_resolve(box, containing_block)
        return
    if isinstance(containing_block, Box):
        key = (containing_block.width, containing_block.height, isinstance(box, PageBox))
    else:
        width, height = containing_block
        key = (width, height, isinstance(box, PageBox))
    values = memo.get(key)
    if values is not None:
        box.__dict__.update(values)
        return
    _weasyprint_resolve(box, containing_block)
    if style["border_collapse"] == "collapse":
        return
    if len(memo) >= MAX_ENTRIES_PER_STYLE:
        memo.clear()
    memo[key] = {name: getattr(box, name) for name in USED_VALUES}


def install() -> bool:
    """Make weasyprint's layout call ``resolve_percentages`` above (idempotent). The layout modules
    import the function by name, so each module's reference is replaced. False when this weasyprint
    has no such function: layout then stays as it is."""
    replaced = False
    for module_info in pkgutil.iter_modules(weasyprint.layout.__path__):
        module = importlib.import_module(f"weasyprint.layout.{module_info.name}")
        current = getattr(module, "resolve_percentages", None)
        if current is _weasyprint_resolve:
            module.resolve_percentages = resolve_percentages  # type: ignore[attr-defined]
            replaced = True
        elif current is resolve_percentages:
            replaced = True
    return replaced
