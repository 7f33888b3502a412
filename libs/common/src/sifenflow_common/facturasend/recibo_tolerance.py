"""Recibo digital (tipo 55) as FacturaSend accepts it (facturasend-api.md §2.4).

Corrections on the camelized ``data``, each reported as a warning (docs/document-engine.md):

- with associated documents the total is the sum of their ``monto``: a different ``total`` is
  replaced (``TOTAL_RECALCULADO``);
- ``usuario.documentoTipo`` 9 ("otro") without a description gets ``OTRO_DOCUMENTO``
  (``DESCRIPCION_POR_DEFECTO``);
- payments (``condicion.entregas``, same currency as the recibo) that add up to something else than
  the total are kept, since a receipt may be partial (``PAGO_DISTINTO_DEL_TOTAL``).

Values that cannot be read as amounts are left alone: the engine reports them with their path.
The first two are corrections (applied once, silent on their own output); the third is a notice
about what was sent, so it is repeated whenever the same payments are read again.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sifenflow_common.errors import ValidationIssue

# The catalog's "9 = Otro" spelled out: the XSD wants 9 to 41 characters (tdDTipIDRespDE).
OTRO_DOCUMENTO: Final = "Otro documento de identidad"
USUARIO_OTRO: Final = 9


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _json_number(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else str(value)


def _associated(data: dict[str, Any]) -> list[dict[str, Any]]:
    raw = data.get("documentoAsociado")
    docs = raw if isinstance(raw, list) else [raw] if raw is not None else []
    return [d for d in docs if isinstance(d, dict)]


def _recalculate_total(data: dict[str, Any], warnings: list[ValidationIssue]) -> None:
    docs = _associated(data)
    montos = [_amount(d.get("monto")) for d in docs]
    if not docs or any(m is None or m <= 0 for m in montos):
        return
    suma = sum((m for m in montos if m is not None), Decimal(0))
    given = data.get("total")
    if given is not None and _amount(given) != suma:
        warnings.append(
            ValidationIssue(
                "TOTAL_RECALCULADO",
                "data.total",
                f"El total {given} se reemplazó por la suma de los documentos asociados ({suma})",
            )
        )
    data["total"] = _json_number(suma)


def _usuario_descripcion(data: dict[str, Any], warnings: list[ValidationIssue]) -> None:
    usuario = data.get("usuario")
    if not isinstance(usuario, dict) or usuario.get("documentoTipoDescripcion") is not None:
        return
    if str(usuario.get("documentoTipo", "")).strip() != str(USUARIO_OTRO):
        return
    data["usuario"] = dict(usuario, documentoTipoDescripcion=OTRO_DOCUMENTO)
    warnings.append(
        ValidationIssue(
            "DESCRIPCION_POR_DEFECTO",
            "data.usuario.documentoTipoDescripcion",
            f"Documento de tipo 9 (otro) sin descripción: se usa '{OTRO_DOCUMENTO}'",
        )
    )


def _payments(data: dict[str, Any], warnings: list[ValidationIssue]) -> None:
    condicion = data.get("condicion")
    total = _amount(data.get("total"))
    if not isinstance(condicion, dict) or total is None:
        return
    entregas = condicion.get("entregas")
    if not isinstance(entregas, list) or not entregas:
        return
    moneda = str(data.get("moneda") or "PYG").upper()
    paid = Decimal(0)
    for e in entregas:
        monto = _amount(e.get("monto")) if isinstance(e, dict) else None
        if monto is None or str(e.get("moneda") or "PYG").upper() != moneda:
            return  # unreadable or in another currency: nothing sure to say
        paid += monto
    if paid != total:
        kind = "parcial" if paid < total else "mayor que el total"
        warnings.append(
            ValidationIssue(
                "PAGO_DISTINTO_DEL_TOTAL",
                "data.condicion.entregas",
                f"Las entregas suman {paid} y el total del recibo es {total}: pago {kind}",
            )
        )


def tolerate_recibo(data: dict[str, Any]) -> tuple[dict[str, Any], list[ValidationIssue]]:
    """(corrected copy of ``data``, warnings). ``data`` is camelized; it is not modified."""
    out = dict(data)
    warnings: list[ValidationIssue] = []
    _recalculate_total(out, warnings)
    _usuario_descripcion(out, warnings)
    _payments(out, warnings)
    return out, warnings
