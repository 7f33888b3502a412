"""Brings a FacturaSend `data` object to the shape the pipeline stores: padded codes, a date, a
security code, and snake_case aliases folded into camelCase (FacturaSend accepts both)."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.facturasend.text import non_xml_text
from sifenflow_common.facturasend.tolerance import camelize

PY_TZ = timezone(timedelta(hours=-3))  # Paraguay has used UTC-3 all year since 2024


def content_hash(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def security_code(avoid: int | None = None) -> str:
    """B004 dCodSeg: 9 random digits, never 0 and never equal to dNumDoc (MT v150 §10.3)."""
    while True:
        code = secrets.randbelow(999_999_999) + 1
        if code != avoid:
            return f"{code:09d}"


def _code3(value: Any, path: str, issues: list[ValidationIssue]) -> str:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"\d{1,3}", text):
        issues.append(
            ValidationIssue("CAMPO_INVALIDO", path, f"{path.split('.')[-1]} debe ser 1 a 3 dígitos")
        )
        return ""
    return text.zfill(3)


def normalize(raw: dict[str, Any], now: datetime) -> tuple[dict[str, Any], int | None, list[ValidationIssue]]:
    """(data, numero given or None, issues). The input is not modified."""
    data = camelize(raw)  # builds new dicts and lists (a no-op copy after ``tolerate``)
    issues: list[ValidationIssue] = non_xml_text(data, "data")
    if isinstance(data.get("tipoDocumento"), str) and data["tipoDocumento"].isdigit():
        data["tipoDocumento"] = int(data["tipoDocumento"])
    data["establecimiento"] = _code3(data.get("establecimiento"), "data.establecimiento", issues)
    data["punto"] = _code3(data.get("punto"), "data.punto", issues)
    numero: int | None = None
    raw_num = data.get("numero")
    if raw_num not in (None, ""):
        text = str(raw_num)
        if isinstance(raw_num, bool) or not re.fullmatch(r"\d{1,7}", text) or int(text) == 0:
            issues.append(
                ValidationIssue("NUMERO_INVALIDO", "data.numero", "numero debe ser un entero de 1 a 9999999")
            )
        else:
            numero = int(text)
            data["numero"] = numero
    if not data.get("fecha"):
        data["fecha"] = now.astimezone(PY_TZ).strftime("%Y-%m-%dT%H:%M:%S")
    data.setdefault("tipoEmision", 1)
    cod = data.get("codigoSeguridadAleatorio")
    if cod in (None, ""):
        data["codigoSeguridadAleatorio"] = security_code(numero)
    elif not re.fullmatch(r"\d{1,9}", str(cod)) or int(str(cod)) == 0:
        issues.append(
            ValidationIssue(
                "CODIGO_SEGURIDAD_INVALIDO",
                "data.codigoSeguridadAleatorio",
                "codigoSeguridadAleatorio debe tener hasta 9 dígitos y no ser 0",
            )
        )
    else:
        data["codigoSeguridadAleatorio"] = str(cod).zfill(9)
    data.setdefault("moneda", "PYG")
    return data, numero, issues
