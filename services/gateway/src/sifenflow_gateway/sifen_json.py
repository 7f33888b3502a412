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
