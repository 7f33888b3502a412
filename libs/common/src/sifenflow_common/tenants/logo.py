"""A company's logo for its KuDEs: PNG, or SVG rebuilt from an allow-list.

The SVG is parsed without DTDs, entities or network access; a DOCTYPE is refused. Only drawing
elements and presentation attributes are copied to a fresh document: scripts, ``foreignObject``,
event handlers (``on*``), styles and any reference that is not local (``#id``) are dropped, so the
stored logo cannot run code or fetch anything when a KuDE is rendered or opened.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from lxml import etree

from sifenflow_common.errors import ValidationIssue

MAX_LOGO_BYTES = 256 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "title", "desc", "path", "rect", "circle", "ellipse", "line", "polyline",
        "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop", "clipPath", "mask",
        "symbol", "use",
    }
)  # fmt: skip
_ATTRIBUTES = frozenset(
    {
        "id", "width", "height", "viewBox", "preserveAspectRatio", "x", "y", "x1", "y1", "x2", "y2",
        "cx", "cy", "r", "rx", "ry", "d", "points", "transform", "fill", "fill-opacity", "fill-rule",
        "stroke", "stroke-width", "stroke-opacity", "stroke-linecap", "stroke-linejoin",
        "stroke-miterlimit", "stroke-dasharray", "opacity", "font-family", "font-size", "font-weight",
        "font-style", "text-anchor", "dominant-baseline", "offset", "stop-color", "stop-opacity",
        "gradientUnits", "gradientTransform", "clip-path", "clip-rule", "mask", "version", "href",
        "dx", "dy", "letter-spacing",
    }
)  # fmt: skip
_URL_RE = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Logo:
    media_type: str  # image/png | image/svg+xml
    content: bytes


class LogoError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.issue = ValidationIssue(code=code, path="logo", message=message)


def _local_only(value: str) -> bool:
    """Attribute values may point only inside the document (``#id`` / ``url(#id)``)."""
    refs = [m.group(2) for m in _URL_RE.finditer(value)]
    return all(ref.startswith("#") for ref in refs) and "javascript:" not in value.lower()


def sanitize_svg(raw: bytes) -> bytes:
    """The allow-listed copy of an SVG (raises LogoError if it is not a well-formed SVG)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise LogoError("LOGO_INVALIDO", f"El SVG no es XML válido: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise LogoError("LOGO_INVALIDO", "El SVG no puede declarar DOCTYPE ni entidades")
    if etree.QName(root).localname != "svg" or etree.QName(root).namespace != SVG_NS:
        raise LogoError("LOGO_INVALIDO", "El logo debe ser un documento SVG (<svg xmlns=…svg>)")
    clean = _copy(root)
    assert clean is not None
    return bytes(etree.tostring(clean, xml_declaration=False, encoding="utf-8"))


def _copy(node: etree._Element) -> etree._Element | None:
    if not isinstance(node.tag, str):  # comments, processing instructions, entities
        return None
    name = etree.QName(node)
    if name.namespace != SVG_NS or name.localname not in _ELEMENTS:
        return None
    out = etree.Element(f"{{{SVG_NS}}}{name.localname}", nsmap={None: SVG_NS})
    for key, value in node.attrib.items():
        attr = etree.QName(key)
        if attr.namespace not in (None, XLINK_NS) or attr.localname not in _ATTRIBUTES:
            continue
        if attr.localname == "href" and not value.startswith("#"):
            continue
        if not _local_only(value):
            continue
        out.set(attr.localname, value)
    out.text = node.text if name.localname in ("text", "tspan", "title", "desc") else None
    for child in node:
        copied = _copy(child)
        if copied is not None:
            copied.tail = child.tail if name.localname in ("text", "tspan") else None
            out.append(copied)
    return out


def parse_logo(value: object) -> Logo:
    """The PATCH body's ``logo``: base64 of a PNG or an SVG, at most MAX_LOGO_BYTES."""
    if not isinstance(value, str) or not value:
        raise LogoError("LOGO_INVALIDO", "logo debe ser la imagen PNG o SVG en base64")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise LogoError("LOGO_INVALIDO", "logo no es base64 válido") from exc
    if len(raw) > MAX_LOGO_BYTES:
        raise LogoError("LOGO_DEMASIADO_GRANDE", f"El logo supera {MAX_LOGO_BYTES // 1024} KB")
    if raw.startswith(PNG_MAGIC):
        return Logo("image/png", raw)
    if b"<svg" in raw[:4096]:
        return Logo("image/svg+xml", sanitize_svg(raw))
    raise LogoError("LOGO_INVALIDO", "El logo debe ser una imagen PNG o SVG")
