"""Small server-rendered SVG charts (no JavaScript, no external library)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 90
WIDTH = 480


def bar_chart(rows: Sequence[tuple[str, int]], title: str) -> str:
    """Horizontal bars, one per (label, value), scaled to the largest; readable without colour."""
    if not rows:
        return ""
    top = max(value for _, value in rows) or 1
    room = WIDTH - LABEL_WIDTH - 50
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for n, (label, value) in enumerate(rows):
        y = GAP + n * (BAR_HEIGHT + GAP)
        width = max(2, round(room * value / top))
        middle = y + BAR_HEIGHT / 2 + 5
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" rx="3"/>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{middle}">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
