"""Computed CSS styles kept from one KuDE render to the next.

weasyprint computes the style of every element on every render, property by property, when layout
first asks for it: about 4,700 property computations for a 10-item A4 KuDE, ~15 % of a render.
Within one render it already gives elements with the same parent style and the same matched
declarations one shared style object. Every KuDE comes from the same markup and the same parsed
stylesheets, so the same styles come back on every render; ``StyleCache`` keeps them across renders
under the same kind of key: the identity of the parent's (cached, hence stable) style plus the
element's cascaded declarations, compared by value.

The cache is used only for documents whose HTML object carries one (``cache_styles``): weasyprint's
``StyleFor`` is replaced once by a subclass that behaves exactly as the original for every other
document. Page and pseudo-element styles are never cached (weasyprint adjusts page styles per page).
A cached style keeps its first element's cascaded values alive, so an ``id()`` used in a key cannot
be reused by another object while the entry exists. ``tests/unit/kude/test_styles.py`` checks that
PDFs are byte-identical with and without the cache.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element

import weasyprint.css

MAX_ENTRIES = 4096  # a KuDE format needs ~100; a bound for documents that keep producing new keys
SHARED = "_sifenflow_shared"  # set on every style a StyleCache hands out (see is_shared)


class StyleCache:
    """Computed styles of one renderer (one thread): key → weasyprint ``ComputedStyle``."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self.entries: dict[tuple[Any, ...], Any] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...]) -> Any:
        style = self.entries.get(key)
        if style is None:
            self.misses += 1
        else:
            self.hits += 1
        return style

    def put(self, key: tuple[Any, ...], style: Any) -> None:
        if len(self.entries) >= self.max_entries:
            self.entries.clear()
        style.__dict__[SHARED] = True
        self.entries[key] = style


def is_shared(style: Any) -> bool:
    """True for a style kept by a ``StyleCache``, hence reused by later renders. Layout does not
    change such a style: weasyprint adjusts copies (footnotes, which the KuDE has none of, aside)."""
    return bool(getattr(style, "__dict__", {}).get(SHARED, False))


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:  # e.g. the lists of the `background` longhands: compared by identity
        return ("\0id", id(value))
    return value


def _key(parent_style: Any, cascaded: dict[str, tuple[Any, Any]]) -> tuple[Any, ...]:
    declarations = tuple([(name, value, weight) for name, (value, weight) in cascaded.items()])
    try:
        hash(declarations)
    except TypeError:
        declarations = tuple([(name, _hashable(value), weight) for name, (value, weight) in cascaded.items()])
    return (id(parent_style), declarations)


class _CachingStyleFor(weasyprint.css.StyleFor):
    """weasyprint's ``StyleFor`` that takes element styles from the document's ``StyleCache``."""

    def __init__(self, html: Any, *args: Any, **kwargs: Any) -> None:
        self._style_cache: StyleCache | None = getattr(html, "cache_styles", None)
        super().__init__(html, *args, **kwargs)

    def set_computed_styles(
        self,
        element: Any,
        parent: Any,
        root: Any = None,
        pseudo_type: str | None = None,
        base_url: str | None = None,
        target_collector: Any = None,
    ) -> None:
        cache = self._style_cache
        if cache is None or pseudo_type is not None or not isinstance(element, Element):
            super().set_computed_styles(element, parent, root, pseudo_type, base_url, target_collector)
            return
        parent_style = self._computed_styles[parent, None] if parent is not None else None
        key = _key(parent_style, self._cascaded_styles.get((element, None), {}))
        style = cache.get(key)
        if style is None:
            super().set_computed_styles(element, parent, root, pseudo_type, base_url, target_collector)
            cache.put(key, self._computed_styles[element, None])
            return
        self._computed_styles[element, None] = style
        if target_collector and style["anchor"]:
            target_collector.collect_anchor(style["anchor"])


def install() -> bool:
    """Make weasyprint build its styles with ``_CachingStyleFor`` (idempotent). False when this
    weasyprint's ``StyleFor`` lacks what the subclass relies on: rendering then stays uncached."""
    current = weasyprint.css.StyleFor
    if current is _CachingStyleFor:
        return True
    if current is not _CachingStyleFor.__mro__[1] or not hasattr(current, "set_computed_styles"):
        return False
    weasyprint.css.StyleFor = _CachingStyleFor
    return True
