"""The simple `/invoicing` body → FacturaSend `data` (documented in docs/gateway-api.md).

Pure functions; every rejected value is a ValidationIssue whose path is in the simple body.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.tenants.model import Tenant

KIND_TIPO: dict[str, int] = {"invoice": 1, "credit-note": 5, "debit-note": 6, "remision": 7}

# Seed motivos → SIFEN iMotEmi (MT v150 E401: 1 Devolución y ajuste de precios, 2 Devolución,
# 3 Descuento, 4 Bonificación, 5 Crédito incobrable, 6 Recupero de costo, 7 Recupero de gasto,
# 8 Ajuste de precio).
CREDIT_NOTE_MOTIVOS: dict[int, tuple[int, str]] = {
    1: (2, "Devolución y anulación de factura → 2 Devolución"),
    2: (1, "Devolución y anulación parcial → 1 Devolución y ajuste de precios"),
    3: (3, "Descuento o bonificación → 3 Descuento"),
    4: (8, "Ajuste de precio → 8 Ajuste de precio"),
}
DEBIT_NOTE_MOTIVOS: dict[int, tuple[int, str]] = {
    1: (6, "Interés por mora → 6 Recupero de costo"),
    2: (8, "Ajuste de precio → 8 Ajuste de precio"),
    3: (7, "Gastos adicionales → 7 Recupero de gasto"),
}
# Associated document type (seed `documentoAsociado.tipo`, a SIFEN iTiDE) → H009 tipoDocumentoImpreso
PRINTED_TYPE: dict[int, int] = {1: 1, 5: 2, 6: 3, 7: 4}
IVA_RATE_MAP: dict[int, dict[str, int]] = {
    10: {"ivaTipo": 1, "iva": 10, "ivaBase": 100},
    5: {"ivaTipo": 1, "iva": 5, "ivaBase": 100},
    0: {"ivaTipo": 3, "iva": 0, "ivaBase": 0},
}
# traslado entre locales del emisor, por el emisor; kms and transporte are the taxpayer's to declare
REMISION_DEFAULTS = {"motivo": 7, "tipoResponsable": 1}


def _i(code: str, path: str, message: str) -> ValidationIssue:
    return ValidationIssue(code=code, path=path, message=message)


def _dec(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _cliente(raw: Any, issues: list[ValidationIssue]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        issues.append(_i("CAMPO_REQUERIDO", "cliente", "Los datos del cliente son obligatorios"))
        return {}
    cliente: dict[str, Any] = {
        k: raw[k]
        for k in ("razonSocial", "direccion", "numeroCasa", "email", "telefono", "celular")
        if k in raw
    }
    cliente["pais"] = "PRY"
    cliente["paisDescripcion"] = "Paraguay"
    for geo in ("departamento", "distrito", "ciudad"):
        if geo in raw:
            cliente[geo] = raw[geo]
    ruc = raw.get("ruc")
    if ruc:
        cliente["contribuyente"] = True
        cliente["ruc"] = ruc
        cliente["tipoContribuyente"] = raw.get("tipoContribuyente", 1)
        cliente["tipoOperacion"] = raw.get("tipoOperacion", 1)
        for key in ("documentoTipo", "documentoNumero"):  # passed on: the tolerance policy says
            if key in raw:  # that it ignores them (a warning), instead of dropping them silently
                cliente[key] = raw[key]
        ident = str(ruc)
    else:
        cliente["contribuyente"] = False
        cliente["tipoOperacion"] = raw.get("tipoOperacion", 2)
        cliente["documentoTipo"] = raw.get("documentoTipo", 5)
        cliente["documentoNumero"] = str(raw.get("documentoNumero", "0"))
        ident = cliente["documentoNumero"]
        if cliente["documentoTipo"] == 5 and not raw.get("razonSocial"):
            cliente["razonSocial"] = "Sin Nombre"
    digits = re.sub(r"\D", "", ident) or "0"
    cliente["codigo"] = str(raw.get("codigo") or digits.zfill(3))
    return cliente


def _items(raw: Any, tipo: int, issues: list[ValidationIssue]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        issues.append(_i("CAMPO_REQUERIDO", "items", "Debe indicar al menos un ítem"))
        return []
    items: list[dict[str, Any]] = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            issues.append(_i("CAMPO_INVALIDO", f"items[{n}]", "Cada ítem debe ser un objeto"))
            continue
        out: dict[str, Any] = {
            "codigo": item.get("codigo"),
            "descripcion": item.get("descripcion"),
            "cantidad": item.get("cantidad"),
            "unidadMedida": item.get("unidadMedida", 77),
        }
        if item.get("descuento") is not None:
            out["descuento"] = item["descuento"]
        if tipo != 7:
            rate = item.get("ivaTipo")
            if "precioUnitario" not in item or rate is None:
                issues.append(
                    _i(
                        "ITEMS_SIN_PRECIO",
                        f"items[{n}]",
                        "Cada ítem requiere precioUnitario e ivaTipo (10, 5 o 0)",
                    )
                )
                continue
            if rate not in IVA_RATE_MAP:
                issues.append(
                    _i("IVA_TIPO_INVALIDO", f"items[{n}].ivaTipo", "ivaTipo debe ser 10, 5 o 0 (exento)")
                )
                continue
            out["precioUnitario"] = item["precioUnitario"]
            out.update(IVA_RATE_MAP[rate])
        items.append(out)
    return items


def _documento_asociado(raw: Any, issues: list[ValidationIssue]) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        issues.append(
            _i("CAMPO_REQUERIDO", "documentoAsociado", "Las notas requieren documentoAsociado {cdc, tipo}")
        )
        return None
    tipo = raw.get("tipo")
    cdc = raw.get("cdc")
    if cdc is not None:
        if not isinstance(cdc, str) or not re.fullmatch(r"\d{44}", cdc):
            issues.append(
                _i("CDC_INVALIDO", "documentoAsociado.cdc", "El CDC asociado debe tener 44 dígitos")
            )
            return None
        if tipo is not None and int(cdc[:2]) != tipo:
            issues.append(
                _i(
                    "TIPO_ASOCIADO_INCONSISTENTE",
                    "documentoAsociado.tipo",
                    "tipo no coincide con el CDC asociado",
                )
            )
        return {"formato": 1, "cdc": cdc}
    if tipo not in PRINTED_TYPE:
        issues.append(_i("CAMPO_REQUERIDO", "documentoAsociado.cdc", "Indique el CDC del documento asociado"))
        return None
    printed = {
        k: raw[k] for k in ("timbrado", "establecimiento", "punto", "numero", "serie", "fecha") if k in raw
    }
    return {"formato": 2, "tipoDocumentoImpreso": PRINTED_TYPE[tipo], **printed}


def _default_condicion(items: list[dict[str, Any]], moneda: str) -> dict[str, Any]:
    total = Decimal(0)
    for item in items:
        unit = (_dec(item.get("precioUnitario")) or Decimal(0)) - (_dec(item.get("descuento")) or Decimal(0))
        total += unit * (_dec(item.get("cantidad")) or Decimal(0))
    monto = int(total) if total == total.to_integral_value() else float(total)
    return {"tipo": 1, "entregas": [{"tipo": 1, "monto": monto, "moneda": moneda}]}


def to_facturasend(kind: str, body: Any, tenant: Tenant) -> tuple[dict[str, Any], list[ValidationIssue]]:
    """(FacturaSend data, issues). The number and date are left for the gateway to fill."""
    if not isinstance(body, dict):
        return {}, [_i("JSON_INVALIDO", "$", "Se esperaba un objeto JSON")]
    tipo = KIND_TIPO[kind]
    issues: list[ValidationIssue] = []
    moneda = str(body.get("moneda") or "PYG")
    est = str(body.get("establecimiento") or (tenant.establecimiento_codes() or ["001"])[0]).zfill(3)
    puntos = tenant.puntos_of(est)
    data: dict[str, Any] = {
        "tipoDocumento": tipo,
        "establecimiento": est,
        "punto": str(body.get("punto") or (puntos[0] if puntos else "001")).zfill(3),
        "tipoEmision": 1,
        "tipoImpuesto": 1,
        "moneda": moneda,
        "cliente": _cliente(body.get("cliente"), issues),
    }
    for passthrough in ("numero", "fecha", "observacion", "descripcion", "usuario", "cambio"):
        if body.get(passthrough) is not None:
            data[passthrough] = body[passthrough]
    if moneda != "PYG" and "cambio" in body:
        data["condicionTipoCambio"] = 1
    data["items"] = _items(body.get("items"), tipo, issues)
    if tipo == 1:
        data["tipoTransaccion"] = body.get("tipoTransaccion", 1)
        data["factura"] = {"presencia": 1}
        data["condicion"] = body.get("condicion") or _default_condicion(data["items"], moneda)
    elif tipo in (5, 6):
        table = CREDIT_NOTE_MOTIVOS if tipo == 5 else DEBIT_NOTE_MOTIVOS
        motivo = body.get("motivo")
        if motivo not in table:
            allowed = ", ".join(str(k) for k in table)
            issues.append(_i("MOTIVO_INVALIDO", "motivo", f"motivo debe ser uno de {allowed}"))
        else:
            data["notaCreditoDebito"] = {"motivo": table[motivo][0]}
        asociado = _documento_asociado(body.get("documentoAsociado"), issues)
        if asociado is not None:
            data["documentoAsociado"] = asociado
    else:
        data["remision"] = dict(REMISION_DEFAULTS, **(body.get("remision") or {}))
        transporte = body.get("transporte") or body.get("detalleTransporte")
        if transporte is not None:
            data["transporte"] = transporte
        data.setdefault("descripcion", body.get("observacion") or "Nota de remisión")
    return data, issues
