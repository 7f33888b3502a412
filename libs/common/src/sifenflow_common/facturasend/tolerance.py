"""The input tolerance policy of the FacturaSend JSON, applied once before validation.

FacturaSend treats an empty or whitespace-only string (and ``null``) as "not given": such keys are
dropped, so a required field still reports ``CAMPO_REQUERIDO`` with its path and an optional one is
simply absent. Then each rule of ``RULES`` may ignore or correct what FacturaSend ignores or corrects
in that context; every such change is a warning (code of ``issues.WARNING_CODES``, path, Spanish
message) that the gateway returns next to ``deList``. The policy is idempotent: applying it to its
own output changes nothing and warns of nothing. docs/document-engine.md lists every rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.facturasend import tolerance_rules
from sifenflow_common.facturasend.recibo_tolerance import tolerate_recibo
from sifenflow_common.facturasend.tolerance_edit import REMOVE, Edit


@dataclass(slots=True)
class Tolerated:
    data: dict[str, Any]
    warnings: list[ValidationIssue] = field(default_factory=list)


# A rule reads the cleaned document (camelCase keys, no blank values) without modifying it and
# returns the edits it wants; ``tolerate`` applies them to its own copy, in RULES order.
Rule = Callable[[dict[str, Any]], list[Edit]]

RULES: tuple[Rule, ...] = (  # docs/document-engine.md, "Tolerancia de entrada"
    tolerance_rules.receptor_identity,
    tolerance_rules.descriptions,
)

_SNAKE = re.compile(r"_([a-z])")


def _camel(key: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), key) if "_" in key else key


def camelize(value: Any) -> Any:
    """`tipo_documento` → `tipoDocumento`, recursively (FacturaSend accepts both spellings);
    camelCase wins when both are present. Builds new dicts and lists: the input is not modified."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            camel = _camel(key) if isinstance(key, str) else key
            if camel in out and camel != key:
                continue
            out[camel] = camelize(item)
        return out
    if isinstance(value, list):
        return [camelize(v) for v in value]
    return value


def _clean_dict(value: dict[str, Any]) -> dict[str, Any]:
    """camelCase keys, without the keys whose value is null, empty or blank; ``value`` itself when
    nothing changes (the hot path: a document already clean is only read, never copied)."""
    if "_" not in "".join(value):
        for item in value.values():  # the common case: read only, nothing to change
            kind = type(item)
            if kind is str:
                if not item or item.isspace():
                    break
            elif kind is dict:
                if _clean_dict(item) is not item:
                    break
            elif kind is list:
                if _clean_list(item) is not item:
                    break
            elif item is None:
                break
        else:
            return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        kind = type(item)
        if item is None or (kind is str and (not item or item.isspace())):
            continue
        if kind is dict:
            item = _clean_dict(item)
        elif kind is list:
            item = _clean_list(item)
        if type(key) is str and "_" in key:
            camel = _camel(key)
            if camel in out and camel != key:
                continue
            key = camel
        out[key] = item
    return out


def _clean_list(value: list[Any]) -> list[Any]:
    for index, item in enumerate(value):
        kind = type(item)
        new = _clean_dict(item) if kind is dict else _clean_list(item) if kind is list else item
        if new is not item:
            return [*value[:index], new, *map(_clean_any, value[index + 1 :])]
    return value


def _clean_any(value: Any) -> Any:
    kind = type(value)
    return _clean_dict(value) if kind is dict else _clean_list(value) if kind is list else value


def _copy(value: Any) -> Any:
    if type(value) is dict:
        return {k: _copy(v) for k, v in value.items()}
    if type(value) is list:
        return [_copy(v) for v in value]
    return value


def _apply(doc: dict[str, Any], edit: Edit) -> bool:
    node: Any = doc
    for step in edit.trail:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return False
    if not isinstance(node, dict):
        return False
    if edit.value is REMOVE:
        if node.pop(edit.key, REMOVE) is REMOVE:
            return False  # already gone (an earlier edit): nothing to warn about twice
    else:
        node[edit.key] = edit.value
    return True


def tolerate(data: Mapping[str, Any], root: str = "data") -> Tolerated:
    """The document as the engine should read it, and a warning for each thing ignored or corrected.

    Neither the input nor the result is modified later; the result may share unchanged parts with
    the input (callers that modify the result copy it first, as ``normalize`` does)."""
    doc = _clean_dict(data if type(data) is dict else dict(data))
    private = False
    warnings: list[ValidationIssue] = []
    for rule in RULES:
        edits = rule(doc)
        if not edits:
            continue
        if not private:
            doc, private = _copy(doc), True
        for edit in edits:
            if _apply(doc, edit):
                warnings.append(ValidationIssue(edit.code, edit.path(root), edit.message))
    if str(doc.get("tipoDocumento", "")).strip() == "55":  # recibo digital: its own corrections
        doc, notes = tolerate_recibo(doc)
        warnings.extend(notes)
    return Tolerated(data=doc, warnings=warnings)
