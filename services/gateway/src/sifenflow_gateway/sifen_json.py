"""SIFEN XML answers as JSON the way FacturaSend clients expect them (xml2js style, `ns2:` prefixes
kept): `<ns2:rRetEnviDe><ns2:rProtDe><ns2:dEstRes>Aprobado…` → {"ns2:rRetEnviDe": {"ns2:rProtDe": …}}."""

from __future__ import annotations

from typing import Any

from lxml import etree

from sifenflow_common.sifen.namespaces import SIFEN_NS

PREFIX = "ns2:"


def _name(el: etree._Element) -> str:
    qname = etree.QName(el)
    return (PREFIX if qname.namespace == SIFEN_NS else "") + qname.localname


def element_to_json(el: etree._Element) -> Any:
    children = [c for c in el if isinstance(c.tag, str)]
    if not children:
        return (el.text or "").strip()
    out: dict[str, Any] = {}
    for child in children:
        key, value = _name(child), element_to_json(child)
        if key in out:
            existing = out[key]
            out[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[key] = value
    return out


def sifen_reply_json(xml: bytes, root_name: str = "rRetEnviDe") -> dict[str, Any] | None:
    """The `root_name` element found anywhere in a SOAP response, as JSON; None when absent or not XML."""
    try:
        doc = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    for el in doc.iter(f"{{{SIFEN_NS}}}{root_name}"):
        return {PREFIX + root_name: element_to_json(el)}
    return None


def _qualified(el: etree._Element, qname: str) -> str:
    """``{ns}local`` → ``prefix:local`` as the document spells it (xml2js keeps qualified names)."""
    parsed = etree.QName(qname)
    if parsed.namespace is None:
        return parsed.localname
    for prefix, uri in el.nsmap.items():
        if uri == parsed.namespace and prefix is not None:
            return f"{prefix}:{parsed.localname}"
    return parsed.localname


def _xml2js(el: etree._Element, parent_ns: dict[str | None, str]) -> Any:
    attrs: dict[str, str] = {}
    for prefix, uri in el.nsmap.items():
        if parent_ns.get(prefix) != uri:
            attrs["xmlns" if prefix is None else f"xmlns:{prefix}"] = uri
    for key, value in el.attrib.items():
        attrs[_qualified(el, str(key))] = str(value)
    children = [c for c in el if isinstance(c.tag, str)]
    text = el.text or ""
    if not children:
        if not attrs:
            return text
        return {"$": attrs, "_": text} if text else {"$": attrs}
    out: dict[str, Any] = {"$": attrs} if attrs else {}
    for child in children:
        key, value = _name_as_written(child), _xml2js(child, dict(el.nsmap))
        if key in out:
            existing = out[key]
            out[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[key] = value
    return out


def _name_as_written(el: etree._Element) -> str:
    local = etree.QName(el).localname
    return f"{el.prefix}:{local}" if el.prefix else local


def xml_to_json(xml: str | bytes) -> dict[str, Any] | None:
    """A whole XML document as FacturaSend returns it (`rde` of de/cdc, de/id): xml2js with
    ``explicitArray: false``. The root element is the only key; each element is keyed by its name as
    written (prefix kept); attributes, namespace declarations included, go under ``$``; the text of
    an element with attributes under ``_``; a repeated element becomes a list in document order; a
    leaf is its text (``""`` when empty); whitespace between elements is dropped. None when not XML."""
    raw = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        root = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    return {_name_as_written(root): _xml2js(root, {})}
