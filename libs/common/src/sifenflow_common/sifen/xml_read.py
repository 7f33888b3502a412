"""Lenient reader of any rDE into a typed, read-only view (``RdeView``).

The writer is strict; this reader is not. It takes the documents we produce (compact), a supplier's
documents, and the official 2019 examples (pretty-printed, wrapped in a SOAP ``rEnviDe`` envelope,
partly outdated: no ``dBasExe``, a ``dFeFinT`` in ``gTimb``, ``gCamFuFD`` without a signature). It:

* finds the ``rDE`` anywhere (root, SOAP ``xDE``, or an escaped rDE in the text of a consulta
  answer); a bare ``DE`` is accepted too;
* matches elements by local name, so any namespace prefix (or none) works;
* collapses whitespace in texts, treats empty elements as absent, ignores comments and unknown
  elements;
* returns numbers as ``Decimal`` (exactly as written), codes as ``int``, dates as ``date`` /
  ``datetime``; optional groups missing → ``None`` (or an empty tuple for repeated groups).

Only the fields without which no document can be shown are required (CDC, type and number, emission
date, emisor RUC and name, receptor name and nature, item description and quantity). Any problem is an
``XmlReadError`` with a stable code, the element path and a Spanish message; never a traceback.

Field names are the XSD names (MT v150), dataclasses are the XSD groups in Pascal case.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from dataclasses import MISSING, dataclass, fields
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Union, get_args, get_origin, get_type_hints

from lxml import etree

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.sifen.rde_view import GCamFuFD, GDtipDE, RdeView, SignatureInfo

__all__ = ["RdeView", "XmlReadError", "read_rde"]


class XmlReadError(ValueError):
    """The input is not a readable rDE. ``code`` is stable, ``path`` the element, ``message`` Spanish."""

    def __init__(self, code: str, path: str, message: str) -> None:
        super().__init__(f"{code} {path}: {message}")
        self.code = code
        self.path = path
        self.message = message

    def as_issue(self) -> ValidationIssue:
        return ValidationIssue(code=self.code, path=self.path, message=self.message)


# --------------------------------------------------------------------------------------------------
# Reading machinery: each dataclass is filled by name from the element's children.
# --------------------------------------------------------------------------------------------------

_SCALARS: dict[type, str] = {str: "el", int: "int", Decimal: "dec", date: "date", datetime: "datetime"}
_SPECIAL_FIELDS = frozenset({"Id", "dVerFor", "gCamFuFD", "signature"})
_ROOT_NAMES = ("rDE", "rRec")  # rRec: recibo digital (docs/recibo_v1.xsd)
_DOC_NAMES = ("DE", "Rec")
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


@dataclass(frozen=True, slots=True)
class _FieldSpec:
    name: str
    kind: str  # str, int, dec, date, datetime, group
    many: bool
    required: bool
    group: type | None


def _spec_of(name: str, hint: Any, has_default: bool) -> _FieldSpec:
    required = True
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        hint, required = args[0], False
        origin = get_origin(hint)
    many = False
    if origin is tuple:
        hint, many, required = get_args(hint)[0], True, False
    if has_default:
        required = False
    if hint in _SCALARS:
        kind = "str" if hint is str else _SCALARS[hint]
        return _FieldSpec(name, kind, many, required, None)
    return _FieldSpec(name, "group", many, required, hint)


@cache
def _specs(cls: type) -> tuple[_FieldSpec, ...]:
    hints = get_type_hints(cls)
    out = []
    for f in fields(cls):
        if f.name in _SPECIAL_FIELDS:
            continue
        has_default = not (f.default is MISSING and f.default_factory is MISSING)
        out.append(_spec_of(f.name, hints[f.name], has_default))
    return tuple(out)


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


class _Node:
    """An element with its children indexed by local name (prefix / namespace agnostic)."""

    __slots__ = ("children", "el", "path")

    def __init__(self, el: etree._Element, path: str) -> None:
        self.el = el
        self.path = path
        children: dict[str, list[etree._Element]] = {}
        for child in el:
            if isinstance(child.tag, str):
                children.setdefault(_local(child.tag), []).append(child)
        self.children = children

    def all(self, name: str) -> Iterator[_Node]:
        found = self.children.get(name, [])
        for i, child in enumerate(found, start=1):
            suffix = f"[{i}]" if len(found) > 1 else ""
            yield _Node(child, f"{self.path}/{name}{suffix}")

    def first(self, name: str) -> _Node | None:
        found = self.children.get(name)
        return _Node(found[0], f"{self.path}/{name}") if found else None


def _text(el: etree._Element) -> str | None:
    raw = "".join(str(t) for t in el.itertext())
    collapsed = " ".join(raw.split())
    return collapsed or None


def _convert(kind: str, text: str, path: str) -> Any:
    if kind == "str":
        return text
    if kind in ("dec", "int"):
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise XmlReadError(
                "XML_NUMERO_INVALIDO", path, f"El valor «{text[:40]}» no es un número válido."
            ) from None
        if not value.is_finite():
            raise XmlReadError("XML_NUMERO_INVALIDO", path, f"El valor «{text[:40]}» no es un número finito.")
        if kind == "dec":
            return value
        if value != value.to_integral_value():
            raise XmlReadError("XML_ENTERO_INVALIDO", path, f"El valor «{text[:40]}» debe ser un entero.")
        return int(value)
    if kind == "date":
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise XmlReadError(
                "XML_FECHA_INVALIDA", path, f"La fecha «{text[:40]}» no tiene el formato AAAA-MM-DD."
            ) from None
    try:  # datetime
        return datetime.fromisoformat(text)
    except ValueError:
        raise XmlReadError(
            "XML_FECHA_INVALIDA",
            path,
            f"La fecha y hora «{text[:40]}» no tiene el formato AAAA-MM-DDThh:mm:ss.",
        ) from None


def _read_group(cls: type, node: _Node) -> Any:
    return cls(**_read_fields(cls, node))


def _read_fields(cls: type, node: _Node) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for spec in _specs(cls):
        if spec.kind == "group":
            assert spec.group is not None
            if spec.many:
                values[spec.name] = tuple(_read_group(spec.group, child) for child in node.all(spec.name))
                continue
            child = node.first(spec.name)
            if child is not None:
                values[spec.name] = _read_group(spec.group, child)
            elif spec.required:
                raise _missing(f"{node.path}/{spec.name}")
            continue
        elements = node.children.get(spec.name, [])
        texts = [t for t in (_text(e) for e in elements) if t is not None]
        path = f"{node.path}/{spec.name}"
        if spec.many:
            values[spec.name] = tuple(_convert(spec.kind, t, path) for t in texts)
        elif texts:
            values[spec.name] = _convert(spec.kind, texts[0], path)
        elif spec.required:
            raise _missing(path)
    return values


def _missing(path: str) -> XmlReadError:
    name = path.rsplit("/", 1)[-1]
    return XmlReadError("XML_CAMPO_REQUERIDO", path, f"Falta el campo obligatorio {name}.")


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def _parse(xml: bytes | str) -> etree._Element:
    if isinstance(xml, str):
        # A str is already decoded: drop a declaration that would name another encoding.
        data = _XML_DECL.sub("", xml, count=1).strip().encode("utf-8")
    elif isinstance(xml, bytes | bytearray | memoryview):
        data = bytes(xml).strip()
    else:
        raise XmlReadError("XML_VACIO", "/", "Se esperaba el XML del documento (bytes o texto).")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data:
        raise XmlReadError("XML_VACIO", "/", "El XML recibido está vacío.")
    try:
        return etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        where = f" (línea {line})" if line else ""
        raise XmlReadError(
            "XML_MAL_FORMADO", "/", f"El XML no está bien formado{where}: {exc.msg}."
        ) from None


def _find_rde(root: etree._Element, depth: int = 0) -> tuple[etree._Element, bool]:
    """The rDE element (or a bare DE, flagged False) anywhere in the tree."""
    bare_de: etree._Element | None = None
    for el in root.iter():
        name = _local(el.tag)
        if name in _ROOT_NAMES:
            return el, True
        if name in _DOC_NAMES and bare_de is None:
            bare_de = el
    if bare_de is not None:
        return bare_de, False
    if depth == 0:
        # consulta answers (siConsDE xContenDE) carry the rDE as escaped text
        for el in root.iter():
            if isinstance(el.tag, str) and el.text and "<rDE" in el.text:
                return _find_rde(_parse(el.text), depth + 1)
    raise XmlReadError(
        "XML_RDE_NO_ENCONTRADO",
        f"/{_local(root.tag)}",
        "El XML no contiene un documento electrónico (elemento rDE o DE).",
    )


def _read_signature(rde: etree._Element) -> SignatureInfo | None:
    signature = next((e for e in rde.iter() if _local(e.tag) == "Signature"), None)
    if signature is None:
        return None

    def find(name: str) -> etree._Element | None:
        return next((e for e in signature.iter() if _local(e.tag) == name), None)

    reference = find("Reference")
    values: dict[str, str | None] = {}
    for key, name in (
        ("digest_value", "DigestValue"),
        ("signature_value", "SignatureValue"),
        ("x509_certificate", "X509Certificate"),
    ):
        el = find(name)
        text = "".join(str(t) for t in el.itertext()) if el is not None else ""
        values[key] = "".join(text.split()) or None
    return SignatureInfo(
        reference_uri=reference.get("URI") if reference is not None else None,
        digest_value=values["digest_value"],
        signature_value=values["signature_value"],
        x509_certificate=values["x509_certificate"],
    )


def read_rde(xml: bytes | str) -> RdeView:
    """Read an rDE (compact or pretty-printed, bare or inside a SOAP envelope) into an ``RdeView``.

    Raises ``XmlReadError`` (code, path, Spanish message) for anything that is not a readable rDE.
    """
    root = _parse(xml)
    found, is_rde = _find_rde(root)
    if is_rde:
        root_name = _local(found.tag)
        rde_node = _Node(found, f"/{root_name}")
        de_node = rde_node.first("DE") or rde_node.first("Rec")
        if de_node is None:
            raise XmlReadError(
                "XML_CAMPO_REQUERIDO", f"/{root_name}/DE", f"El {root_name} no contiene el elemento DE."
            )
    else:
        rde_node = None
        de_node = _Node(found, f"/{_local(found.tag)}")

    cdc = " ".join((de_node.el.get("Id") or "").split())
    if not cdc:
        raise XmlReadError("XML_CAMPO_REQUERIDO", f"{de_node.path}/@Id", "Falta el CDC (atributo Id de DE).")
    values = _read_fields(RdeView, de_node)
    if "gDtipDE" not in values and de_node.first("gCamCond") is not None:
        # recibo digital: gCamCond is a direct child of Rec
        values["gDtipDE"] = _read_group(GDtipDE, de_node)

    ver_for = None
    fufd = None
    if rde_node is not None:
        ver_el = rde_node.first("dVerFor")
        ver_text = _text(ver_el.el) if ver_el is not None else None
        ver_for = _convert("int", ver_text, "/rDE/dVerFor") if ver_text else None
        fufd_node = rde_node.first("gCamFuFD")
        fufd = _read_group(GCamFuFD, fufd_node) if fufd_node is not None else None
    return RdeView(
        Id=cdc,
        dVerFor=ver_for,
        gCamFuFD=fufd,
        signature=_read_signature(found),
        **values,
    )
