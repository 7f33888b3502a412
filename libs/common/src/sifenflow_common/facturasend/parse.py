"""Structural parsing of ``params`` / ``data`` into the models; pydantic errors become issues."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from sifenflow_common import jsonin
from sifenflow_common.facturasend.issues import IssueCollector
from sifenflow_common.facturasend.models import Documento, Params

M = TypeVar("M", bound=BaseModel)

_TYPE_ERRORS = {
    "missing": "CAMPO_REQUERIDO",
    "string_too_short": "LONGITUD_INVALIDA",
    "string_too_long": "LONGITUD_INVALIDA",
    "too_short": "LONGITUD_INVALIDA",
    "too_long": "LONGITUD_INVALIDA",
    "finite_number": "VALOR_INVALIDO",
    "decimal_max_digits": "MONTO_EXCEDIDO",
    "decimal_whole_digits": "MONTO_EXCEDIDO",
    "decimal_max_places": "DECIMALES_EXCEDIDOS",
    "greater_than": "VALOR_INVALIDO",
    "greater_than_equal": "VALOR_INVALIDO",
    "less_than": "VALOR_INVALIDO",
    "less_than_equal": "VALOR_INVALIDO",
    "string_pattern_mismatch": "VALOR_INVALIDO",
}


_SCALAR_TAGS = frozenset({"int", "str", "float", "decimal", "bool", "constrained-str", "constrained-int"})


def _is_tag(part: str) -> bool:
    """pydantic inserts union member names into error locations (``DocumentoAsociado``,
    ``list[DocumentoAsociado]``, ``int``, ``constrained-str``); JSON keys are never like that."""
    return part in _SCALAR_TAGS or "[" in part or part.startswith("function-") or part[:1].isupper()


def _located(root: str, loc: tuple[int | str, ...], raw: Any) -> str | None:
    """JSON path of an error, or None when it belongs to the union branch the input is not.

    ``documentoAsociado`` accepts an object or a list: an object gets the object branch's errors,
    a list the list branch's, and the path follows the input's own shape.
    """
    path = root
    node = raw
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            continue
        if isinstance(node, Mapping) and part in node:
            path += f".{part}"
            node = node[part]
            continue
        if _is_tag(part):
            if part.startswith("list[") and not isinstance(node, list):
                return None
            if part[:1].isupper() and isinstance(node, list):
                return None
            continue
        path += f".{part}"
        node = None
    return path


def _message(error_type: str, error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    if error_type == "missing":
        return "Campo obligatorio ausente"
    if error_type in ("string_too_short", "too_short"):
        return f"Debe tener al menos {ctx.get('min_length')} caracteres o elementos"
    if error_type in ("string_too_long", "too_long"):
        return f"Debe tener como máximo {ctx.get('max_length')} caracteres o elementos"
    if error_type in ("greater_than", "greater_than_equal"):
        op = ">" if error_type == "greater_than" else "≥"
        return f"Debe ser {op} {ctx.get('gt', ctx.get('ge'))}"
    if error_type in ("less_than", "less_than_equal"):
        op = "<" if error_type == "less_than" else "≤"
        return f"Debe ser {op} {ctx.get('lt', ctx.get('le'))}"
    if error_type == "string_pattern_mismatch":
        return f"Formato inválido (patrón {ctx.get('pattern')})"
    if error_type == "decimal_max_places":
        return f"Admite como máximo {ctx.get('decimal_places')} decimales"
    if error_type in ("decimal_max_digits", "decimal_whole_digits"):
        return "Demasiados dígitos para este campo"
    if error_type.startswith("int"):
        return "Debe ser un número entero"
    if error_type.startswith("decimal") or error_type.startswith("float") or error_type == "finite_number":
        return 'Debe ser un número (p. ej. 1500 o "1500.50")'
    if error_type.startswith("bool"):
        return "Debe ser verdadero o falso (true/false)"
    if error_type.startswith("string") or error_type == "str_type":
        return "Debe ser un texto"
    if error_type in ("model_type", "model_attributes_type", "dict_type"):
        return "Debe ser un objeto JSON"
    if error_type == "list_type":
        return "Debe ser una lista JSON"
    return "Valor inválido"


def errors_to_issues(exc: ValidationError, root: str, issues: IssueCollector, raw: Any = None) -> None:
    seen: set[str] = set()
    for error in exc.errors(include_url=False):
        error_type = str(error["type"])
        path = _located(root, tuple(error["loc"]), raw)
        if path is None or path in seen:
            continue  # a union reports each member's failure; one issue per path is enough
        seen.add(path)
        code = _TYPE_ERRORS.get(error_type, "TIPO_INVALIDO")
        issues.add(code, path, _message(error_type, error))


def parse_model(model: type[M], raw: object, root: str, issues: IssueCollector) -> M | None:
    if not isinstance(raw, Mapping):
        issues.add("TIPO_INVALIDO", root, "Debe ser un objeto JSON")
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors_to_issues(exc, root, issues, raw)
        return None


def _prune(raw: Any, loc: tuple[int | str, ...]) -> bool:
    """Delete, in ``raw``, the JSON key an error location points at; False when not possible."""
    node = raw
    container: Any = None
    key: Any = None
    for part in loc:
        if isinstance(part, int):
            if not isinstance(node, list) or not 0 <= part < len(node):
                return False
            container, key, node = node, part, node[part]
        elif isinstance(node, Mapping) and part in node:
            container, key, node = node, part, node[part]
        elif not _is_tag(part):
            return False
    if isinstance(container, dict) and isinstance(key, str):
        del container[key]
        return True
    return False


def parse_lenient(model: type[M], raw: object, root: str, issues: IssueCollector) -> tuple[M | None, bool]:
    """Parse; on structural errors, record them and retry once without the offending optional keys.

    Returns ``(model, complete)``: ``complete`` is False when the model was only obtained by
    dropping invalid optional fields. Such a model still lets the rules run, so the integrator gets
    the rule issues in the same answer as the type errors (the document is rejected either way).
    """
    if not isinstance(raw, Mapping):
        issues.add("TIPO_INVALIDO", root, "Debe ser un objeto JSON")
        return None, False
    try:
        return model.model_validate(raw), True
    except ValidationError as exc:
        errors_to_issues(exc, root, issues, raw)
        errors = exc.errors(include_url=False)
    if any(e["type"] == "missing" for e in errors):
        return None, False
    pruned = copy.deepcopy(dict(raw))
    relevant = [tuple(e["loc"]) for e in errors if _located(root, tuple(e["loc"]), raw) is not None]
    if not all(_prune(pruned, loc) for loc in relevant):
        return None, False
    try:
        return model.model_validate(pruned), False
    except ValidationError:
        return None, False


def parse_params(raw: object, issues: IssueCollector) -> Params | None:
    return parse_model(Params, raw, "params", issues)


def parse_documento(raw: object, issues: IssueCollector) -> Documento | None:
    return parse_model(Documento, raw, "data", issues)


def load_json(text: str | bytes) -> Any:
    """JSON with numbers as Decimal (never float), by the strict reader of ``jsonin``; raises
    ValueError (``JsonInputError``) on invalid or unstorable JSON."""
    return jsonin.loads(text, decimals=True)
