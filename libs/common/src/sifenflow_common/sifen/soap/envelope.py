"""SOAP 1.2 envelopes for SIFEN: compact writing, tolerant namespace-aware reading.

Writing follows sifen-protocol.md §1.3: one XML declaration, ``env:Envelope`` with an empty
``env:Header``, body element in the SIFEN namespace, no whitespace between tags. Reading never relies
on prefixes (SIFEN answers ``env:``/``ns2:``; others use ``soap:``/``S:`` or none), accepts SOAP 1.1
envelopes and a bare body element, and classifies what is not SOAP: an HTML page (the load balancer's
"BIG-IP logout page"), malformed XML, an empty body, a SOAP Fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from lxml import etree

from sifenflow_common.sifen.namespaces import SOAP12_NS

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
_ENVELOPE_OPEN = (
    XML_DECLARATION + b'<env:Envelope xmlns:env="' + SOAP12_NS.encode() + b'"><env:Header/><env:Body>'
)
_ENVELOPE_CLOSE = b"</env:Body></env:Envelope>"
_DECLARATION_RE = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")
_HTML_RE = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body)", re.IGNORECASE)
_BOM = b"\xef\xbb\xbf"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, remove_blank_text=False, huge_tree=True, load_dtd=False
)


class SoapProblem(StrEnum):
    EMPTY = "empty"
    HTML = "html"
    MALFORMED = "malformed"
    NOT_SOAP = "not_soap"


class SoapParseError(ValueError):
    """The bytes are not a usable SOAP message; ``problem`` says why."""

    def __init__(self, problem: SoapProblem, detail: str) -> None:
        self.problem = problem
        self.detail = detail
        super().__init__(f"{problem.value}: {detail}")


@dataclass(frozen=True, slots=True)
class SoapFault:
    """A SOAP 1.2 (``Code/Value``, ``Reason/Text``) or 1.1 (``faultcode``/``faultstring``) fault."""

    code: str
    reason: str
    sifen_code: str | None = None  # a dCodRes found inside Detail, when the server put one there


def local_name(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag.rsplit(":", 1)[-1]


def child(element: etree._Element, name: str) -> etree._Element | None:
    """First direct child with local name ``name``, whatever its namespace or prefix."""
    for c in element:
        if local_name(c) == name:
            return c
    return None


def children(element: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in element if local_name(c) == name]


def descendant(element: etree._Element, name: str) -> etree._Element | None:
    for c in element.iter():
        if c is not element and local_name(c) == name:
            return c
    return None


def text(element: etree._Element | None) -> str | None:
    """Stripped text of an element; None when absent or empty."""
    if element is None:
        return None
    value = "".join(str(t) for t in element.itertext()).strip()
    return value or None


def child_text(element: etree._Element, name: str) -> str | None:
    return text(child(element, name))


def strip_declaration(xml: bytes) -> bytes:
    """Drop a BOM and the leading XML declaration (only one is allowed per message, §6.3)."""
    if xml.startswith(_BOM):
        xml = xml[len(_BOM) :]
    return _DECLARATION_RE.sub(b"", xml, count=1).strip()


def wrap(body: bytes) -> bytes:
    """Compact SOAP 1.2 envelope around an already serialized body element (no declaration)."""
    return _ENVELOPE_OPEN + body + _ENVELOPE_CLOSE


def parse_xml(data: bytes) -> etree._Element:
    """Parse bytes into an element, classifying failures as ``SoapParseError``."""
    stripped = data.lstrip(b" \t\r\n" + _BOM)
    if not stripped:
        raise SoapParseError(SoapProblem.EMPTY, "cuerpo vacío")
    if _HTML_RE.match(stripped):
        raise SoapParseError(SoapProblem.HTML, _html_title(stripped))
    try:
        return etree.fromstring(stripped, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapParseError(SoapProblem.MALFORMED, str(exc)) from exc


def body_element(data: bytes) -> etree._Element:
    """The first element inside ``Body`` (or the root itself when it is not an Envelope)."""
    root = parse_xml(data)
    if local_name(root) != "Envelope":
        if local_name(root).lower() == "html":
            raise SoapParseError(SoapProblem.HTML, "página HTML")
        return root
    body = child(root, "Body")
    if body is None:
        raise SoapParseError(SoapProblem.NOT_SOAP, "Envelope sin Body")
    for c in body:
        if isinstance(c.tag, str):
            return c
    raise SoapParseError(SoapProblem.NOT_SOAP, "Body vacío")


def fault_of(element: etree._Element) -> SoapFault | None:
    """The fault carried by a body element, or None when it is not a Fault."""
    if local_name(element) != "Fault":
        return None
    code_el = child(element, "Code")
    code = text(child(code_el, "Value")) if code_el is not None else child_text(element, "faultcode")
    reason_el = child(element, "Reason")
    reason = text(child(reason_el, "Text")) if reason_el is not None else child_text(element, "faultstring")
    detail = child(element, "Detail")
    if detail is None:
        detail = child(element, "detail")
    sifen_code = text(descendant(detail, "dCodRes")) if detail is not None else None
    return SoapFault(code=code or "", reason=reason or "", sifen_code=sifen_code)


def build_fault(code: str, reason: str, sifen_code: str | None = None) -> bytes:
    """A SOAP 1.2 Fault envelope (used by the simulator for requests it cannot read at all)."""
    env = f"{{{SOAP12_NS}}}"
    fault = etree.Element(env + "Fault", nsmap={"env": SOAP12_NS})
    value = etree.SubElement(etree.SubElement(fault, env + "Code"), env + "Value")
    value.text = code
    reason_text = etree.SubElement(etree.SubElement(fault, env + "Reason"), env + "Text")
    reason_text.set("{http://www.w3.org/XML/1998/namespace}lang", "es")
    reason_text.text = reason
    if sifen_code:
        detail = etree.SubElement(fault, env + "Detail")
        etree.SubElement(detail, "dCodRes").text = sifen_code
    return wrap(etree.tostring(fault))


def _html_title(data: bytes) -> str:
    match = re.search(rb"<title>(.*?)</title>", data[:4096], re.IGNORECASE | re.DOTALL)
    if match:
        return "página HTML: " + match.group(1).decode("utf-8", "replace").strip()[:120]
    return "página HTML en lugar de SOAP"
