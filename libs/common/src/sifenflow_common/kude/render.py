"""KuDE PDF rendering with weasyprint: ``render_kude`` (one document) and ``render_many`` (a batch).

Speed comes from doing the expensive things once per process, not once per PDF:
* the stylesheets are parsed into weasyprint ``CSS`` objects once per format, with one shared
  ``FontConfiguration`` (fontconfig / pango font set);
* computed styles are kept from one render to the next (``styles.py``): the same markup and
  stylesheets give the same styles every time; so are the box dimensions resolved from them
  (``used_values.py``);
* the KuDE font is cut down once (``fonts.py``); each PDF embeds the glyphs it uses, subset by
  HarfBuzz (~1 ms), or, where weasyprint has no HarfBuzz subsetting, the whole cut font (its
  fontTools fallback would cost more than that);
* the QR is encoded by zxing-cpp (C++) into an 8-bit grayscale PNG of one pixel per module, which
  weasyprint embeds without converting it (``qr.py``);
* the markup is shaped for weasyprint's cost model (``markup.py``): about 0.3-0.5 ms per laid-out
  line, text run or table cell, so consecutive label lines share one ``white-space: pre-line``
  block, a label and its value are one text run, and table cells have uniform borders (drawn as
  one rectangle each).
A ``KudeRenderer`` is not thread-safe (weasyprint's font configuration is not); use one per thread
or process. The 80 mm ticket is laid out on a tall page, then the page is trimmed to its content.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any, Literal
from xml.etree import ElementTree

import cssselect2
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from sifenflow_common.kude import styles, used_values
from sifenflow_common.kude.fonts import covered, harfbuzz_subsetting, kude_fonts
from sifenflow_common.kude.markup import Environment, Format, KudeOptions, kude_document
from sifenflow_common.sifen.rde_view import RdeView
from sifenflow_common.sifen.xml_read import XmlReadError, read_rde

FORMATS: tuple[Format, ...] = ("a4", "ticket")
ENVIRONMENTS: tuple[Environment, ...] = ("simulado", "test", "produccion")
MAX_LOGO_BYTES = 2 * 1024 * 1024
TICKET_BOTTOM_MARGIN_PX = 3 / 25.4 * 96  # 3 mm, as in ticket.css

_LOGO_TYPES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class KudeError(ValueError):
    """A KuDE cannot be rendered from this input: stable ``code``, Spanish ``message``, ``path``."""

    def __init__(self, code: str, message: str, path: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.path = path


def _template(name: str) -> str:
    return resources.files("sifenflow_common.kude").joinpath("templates", name).read_text(encoding="utf-8")


def logo_data_uri(logo: bytes) -> str:
    """A ``data:`` URI for the tenant's logo (PNG, JPEG, GIF, WebP or SVG), checked by its content."""
    if not logo:
        raise KudeError("KUDE_LOGO_INVALIDO", "El logo está vacío.", "logo")
    if len(logo) > MAX_LOGO_BYTES:
        raise KudeError("KUDE_LOGO_INVALIDO", "El logo supera los 2 MB.", "logo")
    media = next((m for magic, m in _LOGO_TYPES if logo.startswith(magic)), None)
    if media is None and logo[:4] == b"RIFF" and logo[8:12] == b"WEBP":
        media = "image/webp"
    if media is None and b"<svg" in logo[:2048]:
        media = "image/svg+xml"
    if media is None:
        raise KudeError(
            "KUDE_LOGO_INVALIDO", "El logo debe ser una imagen PNG, JPEG, GIF, WebP o SVG.", "logo"
        )
    return f"data:{media};base64,{base64.b64encode(logo).decode('ascii')}"


def _local_fetcher() -> Any:
    """Never fetch from the network while rendering: only data: URIs and our font files."""
    try:
        from weasyprint.urls import URLFetcher  # weasyprint >= 66
    except ImportError:  # pragma: no cover - older weasyprint: its default fetcher
        return None
    return URLFetcher(allowed_protocols={"data", "file"})


def _check_options(format: str, environment: str | None) -> None:
    if format not in FORMATS:
        raise KudeError("KUDE_FORMATO_INVALIDO", "El formato debe ser 'a4' o 'ticket'.", "format")
    if environment is not None and environment not in ENVIRONMENTS:
        raise KudeError(
            "KUDE_AMBIENTE_INVALIDO", "El ambiente debe ser 'simulado', 'test' o 'produccion'.", "environment"
        )


def _read(xml: bytes | str, index: int | None = None) -> RdeView:
    try:
        return read_rde(xml)
    except XmlReadError as exc:
        prefix = f"[{index}]" if index is not None else ""
        where = "" if exc.path == "/" else exc.path
        raise KudeError("KUDE_XML_INVALIDO", exc.message, f"xml{prefix}{where}") from exc


class _KudeHTML(HTML):
    """weasyprint's HTML with our minimal user-agent stylesheet (see templates/ua.css), built from
    our own well-formed markup with the C XML parser instead of the pure-Python HTML5 parser."""

    ua_stylesheet: CSS | None = None

    def __init__(self, markup: str, url_fetcher: Any, cache_styles: styles.StyleCache | None = None) -> None:
        self.cache_styles = cache_styles
        try:
            root = ElementTree.fromstring(markup)
        except ElementTree.ParseError:  # pragma: no cover - our markup is XHTML; keep a safe path
            super().__init__(string=markup, url_fetcher=url_fetcher)
            return
        self.base_url = None
        self.url_fetcher = url_fetcher
        self.media_type = "print"
        self.wrapper_element = cssselect2.ElementWrapper.from_html_root(root, content_language=None)
        self.etree_element = self.wrapper_element.etree_element

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        assert self.ua_stylesheet is not None
        return [self.ua_stylesheet]


class KudeRenderer:
    """Holds the parsed stylesheets and the font configuration shared by every render."""

    def __init__(self, *, share_styles: bool = True) -> None:
        """``share_styles=False`` computes every style afresh on each render (weasyprint's own way;
        the tests compare both)."""
        self._font_config = FontConfiguration()
        self._url_fetcher = _local_fetcher()
        self._styles = styles.StyleCache() if share_styles and styles.install() else None
        if self._styles is not None:
            used_values.install()
        fonts = kude_fonts()
        self._embed_whole_fonts = fonts.available and not harfbuzz_subsetting()
        base = fonts.css() + "\n" + _template("base.css")
        self._html_class = type("KudeHTML", (_KudeHTML,), {"ua_stylesheet": CSS(string=_template("ua.css"))})
        self._stylesheets: dict[str, list[CSS]] = {
            fmt: [CSS(string=base + "\n" + _template(f"{fmt}.css"), font_config=self._font_config)]
            for fmt in FORMATS
        }

    @property
    def style_cache(self) -> styles.StyleCache | None:
        return self._styles

    def render(
        self,
        xml: bytes | str,
        *,
        format: Format = "a4",
        environment: Environment | None = None,
        logo: bytes | None = None,
    ) -> bytes:
        """PDF bytes of the KuDE of one signed rDE."""
        _check_options(format, environment)
        return self.render_views([_read(xml)], format=format, environment=environment, logo=logo)

    def render_many(
        self,
        xmls: Iterable[bytes | str],
        *,
        format: Format = "a4",
        environment: Environment | None = None,
        logo: bytes | None = None,
    ) -> bytes:
        """One PDF holding the KuDE of each rDE, each on its own pages."""
        _check_options(format, environment)
        views = [_read(xml, i) for i, xml in enumerate(xmls)]
        if not views:
            raise KudeError("KUDE_SIN_DOCUMENTOS", "No se recibió ningún documento.", "xml")
        return self.render_views(views, format=format, environment=environment, logo=logo)

    def render_views(
        self,
        views: Sequence[RdeView],
        *,
        format: Format = "a4",
        environment: Environment | None = None,
        logo: bytes | None = None,
    ) -> bytes:
        """Each KuDE is laid out on its own (own page numbers "Página N de M"); the pages are then
        written as one PDF, so the font and the PDF writing are shared by the batch."""
        _check_options(format, environment)
        options = KudeOptions(
            format=format, environment=environment, logo_uri=logo_data_uri(logo) if logo is not None else None
        )
        documents = []
        whole = self._embed_whole_fonts
        for view in views:
            markup = kude_document([view], options)
            document = self._html_class(markup, self._url_fetcher, self._styles).render(
                stylesheets=self._stylesheets[format], font_config=self._font_config
            )
            if format == "ticket":
                _trim_pages(document)
            documents.append(document)
            # without HarfBuzz our small font is embedded whole; text that needs fallback system
            # fonts is subset as usual, so a large fallback font is never embedded whole
            whole = whole and covered(markup)
        combined = (
            documents[0]
            if len(documents) == 1
            else documents[0].copy([p for d in documents for p in d.pages])
        )
        pdf = combined.write_pdf(full_fonts=whole)
        assert isinstance(pdf, bytes)
        return pdf


def _trim_pages(document: Any) -> None:
    """Shrink each ticket page to the height of its content (a roll has no fixed page length)."""
    for page in document.pages:
        root = page._page_box.children[0] if page._page_box.children else None
        if root is None:
            continue
        bottom = root.position_y + root.margin_height()
        page.height = min(page.height, bottom + TICKET_BOTTOM_MARGIN_PX)


@cache
def default_renderer() -> KudeRenderer:
    """The process-wide renderer used by ``render_kude`` / ``render_many`` (created on first use)."""
    return KudeRenderer()


def render_kude(
    xml: bytes,
    *,
    format: Literal["a4", "ticket"] = "a4",
    environment: Literal["simulado", "test", "produccion"] | None = None,
    logo: bytes | None = None,
) -> bytes:
    """PDF of the KuDE of a signed rDE (ours, a supplier's or an official example).

    ``environment`` selects the legend ("simulado": not connected to SET; "test": test
    environment); when None it is inferred from the QR URL. Raises ``KudeError``.
    """
    return default_renderer().render(xml, format=format, environment=environment, logo=logo)


def render_many(
    xmls: Iterable[bytes],
    *,
    format: Literal["a4", "ticket"] = "a4",
    environment: Literal["simulado", "test", "produccion"] | None = None,
    logo: bytes | None = None,
) -> bytes:
    """One PDF with the KuDE of every rDE, each on its own set of pages."""
    return default_renderer().render_many(xmls, format=format, environment=environment, logo=logo)
