"""The input tolerance policy of the FacturaSend JSON, applied once before validation.

FacturaSend treats an empty or whitespace-only string as "not given": such keys are dropped, so a
required field still reports ``CAMPO_REQUERIDO`` with its path and an optional one is simply absent.
Where a value the integrator sent is ignored or corrected, a warning says so (code, path, Spanish
message); the gateway returns them next to ``deList``. The policy is idempotent: applying it to its
own output changes nothing and warns of nothing. docs/document-engine.md lists every rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.facturasend.recibo_tolerance import tolerate_recibo


@dataclass(slots=True)
class Tolerated:
    data: dict[str, Any]
    warnings: list[ValidationIssue] = field(default_factory=list)


_SNAKE = re.compile(r"_([a-z])")


def camelize(value: Any) -> Any:
    """`tipo_documento` → `tipoDocumento`, recursively (FacturaSend accepts both spellings);
    camelCase wins when both are present. Builds new dicts and lists: the input is not modified."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            camel = _SNAKE.sub(lambda m: m.group(1).upper(), key) if isinstance(key, str) else key
            if camel in out and camel != key:
                continue
            out[camel] = camelize(item)
        return out
    if isinstance(value, list):
        return [camelize(v) for v in value]
    return value


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


def drop_blank_strings(value: Any) -> Any:
    """A copy of ``value`` without the object keys whose value is an empty or blank string."""
    if isinstance(value, Mapping):
        return {k: drop_blank_strings(v) for k, v in value.items() if not _blank(v)}
    if isinstance(value, list):
        return [drop_blank_strings(v) for v in value]
    return value


def tolerate(data: Mapping[str, Any], root: str = "data") -> Tolerated:
    """The document as the engine should read it, and a warning for each thing ignored or corrected."""
    cleaned = drop_blank_strings(camelize(data))
    if str(cleaned.get("tipoDocumento", "")).strip() == "55":  # recibo digital: its own corrections
        return Tolerated(*tolerate_recibo(cleaned))
    return Tolerated(data=cleaned)
