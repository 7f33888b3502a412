"""The simple `/invoicing` body → FacturaSend `data` (documented in docs/gateway-api.md).

Pure functions; every rejected value is a ValidationIssue whose path is in the simple body.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.invoicing_geo import resolve_city
from sifenflow_gateway.invoicing_remision import missing_transport

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
# Groups of the FacturaSend `data` the simple body may carry as they are (facturasend-api.md §3.2).
PASSTHROUGH = (
    "numero",
    "fecha",
    "serie",
    "observacion",
    "descripcion",
    "usuario",
    "cambio",
    "condicionTipoCambio",
    "condicionAnticipo",
    "codigoSeguridadAleatorio",
    "tipoImpuesto",
    "obligaciones",
    "descuentoGlobal",
    "anticipoGlobal",
    "dncp",
    "sectorEnergiaElectrica",
    "sectorSeguros",
    "sectorSupermercados",
    "sectorAdicional",
    "complementarios",
    "extras",
    "format",
)
KNOWN = frozenset(
    {
        *PASSTHROUGH,
        "cliente",
        "items",
        "moneda",
        "condicion",
        "establecimiento",
        "punto",
        "tipoTransaccion",
        "factura",
        "motivo",
        "documentoAsociado",
        "remision",
        "transporte",
        "detalleTransporte",
    }
)
CLIENTE_KEYS = (
    "razonSocial",
    "nombreFantasia",
    "direccion",
    "numeroCasa",
    "departamento",
    "distrito",
    "ciudad",
    "email",
    "telefono",
    "celular",
)
CLIENTE_MAPPED = frozenset(
    {
        "ruc",
        "tipoContribuyente",
        "tipoOperacion",
        "documentoTipo",
        "documentoTipoDescripcion",
        "documentoNumero",
        "codigo",
        "pais",
        "paisDescripcion",
        "departamentoDescripcion",
        "distritoDescripcion",
        "ciudadDescripcion",
    }
)
ITEM_MAPPED = frozenset({"ivaTipo", "iva", "ivaBase", "ivaProporcion", "precioUnitario"})


def _i(code: str, path: str, message: str) -> ValidationIssue:
    return ValidationIssue(code=code, path=path, message=message)


def _dec(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _cliente(
    raw: Any, tipo: int, issues: list[ValidationIssue], warnings: list[ValidationIssue]
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        issues.append(_i("CAMPO_REQUERIDO", "cliente", "Los datos del cliente son obligatorios"))
        return {}
    cliente: dict[str, Any] = {k: raw[k] for k in CLIENTE_KEYS if k in raw}
    for key in raw:
        if key not in CLIENTE_KEYS and key not in CLIENTE_MAPPED:
            warnings.append(
                _i("CAMPO_IGNORADO", f"cliente.{key}", f"{key} no es un campo del cliente y se ignora")
            )
    cliente["pais"] = raw.get("pais", "PRY")
    if "paisDescripcion" in raw or cliente["pais"] == "PRY":
        cliente["paisDescripcion"] = raw.get("paisDescripcion", "Paraguay")
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
        for ignored in ("documentoTipo", "documentoNumero"):
            if ignored in raw:
                warnings.append(
                    _i(
                        "CAMPO_IGNORADO",
                        f"cliente.{ignored}",
                        f"{ignored} se ignora: el receptor se identifica por su RUC",
                    )
                )
    else:
        cliente["contribuyente"] = False
        cliente["tipoOperacion"] = raw.get("tipoOperacion", 2)
        cliente["documentoTipo"] = raw.get("documentoTipo", 5)
        if "documentoTipoDescripcion" in raw:
            cliente["documentoTipoDescripcion"] = raw["documentoTipoDescripcion"]
        cliente["documentoNumero"] = str(raw.get("documentoNumero", "0"))
        ident = cliente["documentoNumero"]
        if cliente["documentoTipo"] == 5 and not raw.get("razonSocial"):
            cliente["razonSocial"] = "Sin Nombre"
    digits = re.sub(r"\D", "", ident) or "0"
    cliente["codigo"] = str(raw.get("codigo") or digits.zfill(3))
    cliente = resolve_city(cliente, "cliente", issues)
    address_needed = tipo == 7 or cliente.get("tipoOperacion") == 4
    if cliente.get("direccion") and cliente.get("ciudad") is None and not address_needed:
        # SIFEN needs the city with the address (MT D219-D223): without it the address is left out
        for dropped in ("direccion", "numeroCasa"):
            if cliente.pop(dropped, None) is not None:
                warnings.append(
                    _i(
                        "DIRECCION_SIN_CIUDAD",
                        f"cliente.{dropped}",
                        f"{dropped} no se envía a SIFEN: una dirección requiere la ciudad "
                        "(código o nombre del catálogo geográfico)",
                    )
                )
    return cliente


def _items(
    raw: Any, tipo: int, issues: list[ValidationIssue], warnings: list[ValidationIssue]
) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        issues.append(_i("CAMPO_REQUERIDO", "items", "Debe indicar al menos un ítem"))
        return []
    items: list[dict[str, Any]] = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            issues.append(_i("CAMPO_INVALIDO", f"items[{n}]", "Cada ítem debe ser un objeto"))
            continue
        out: dict[str, Any] = {k: v for k, v in item.items() if k not in ITEM_MAPPED}
        out.setdefault("unidadMedida", 77)
        if tipo == 7:
            for ignored in sorted(ITEM_MAPPED & item.keys()):
                warnings.append(
                    _i(
                        "CAMPO_IGNORADO",
                        f"items[{n}].{ignored}",
                        f"{ignored} se ignora: la nota de remisión no lleva precios ni IVA",
                    )
                )
        else:
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


def _unknown(body: dict[str, Any], warnings: list[ValidationIssue]) -> None:
    for key in body:
        if key not in KNOWN:
            warnings.append(_i("CAMPO_IGNORADO", key, f"{key} no es un campo de /invoicing y se ignora"))


def _remision(body: dict[str, Any], data: dict[str, Any], issues: list[ValidationIssue]) -> None:
    data["remision"] = dict(REMISION_DEFAULTS, **(body.get("remision") or {}))
    key = "detalleTransporte" if "detalleTransporte" in body and "transporte" not in body else "transporte"
    transporte = body.get(key)
    if isinstance(transporte, dict):
        transporte = dict(transporte)
        for place in ("salida", "entrega"):
            value = transporte.get(place)
            if isinstance(value, dict):
                transporte[place] = resolve_city(value, f"{key}.{place}", issues)
            elif isinstance(value, list):
                transporte[place] = [
                    resolve_city(v, f"{key}.{place}[{n}]", issues) if isinstance(v, dict) else v
                    for n, v in enumerate(value)
                ]
        data["transporte"] = transporte
    elif transporte is not None:
        data["transporte"] = transporte
    data.setdefault("descripcion", body.get("observacion") or "Nota de remisión")
    issues.extend(missing_transport(data, key))


def to_facturasend(
    kind: str, body: Any, tenant: Tenant, warnings: list[ValidationIssue] | None = None
) -> tuple[dict[str, Any], list[ValidationIssue]]:
    """(FacturaSend data, issues). The number and date are left for the gateway to fill; what the
    mapping ignores or corrects is appended to ``warnings`` (paths of the simple body)."""
    if not isinstance(body, dict):
        return {}, [_i("JSON_INVALIDO", "$", "Se esperaba un objeto JSON")]
    notes: list[ValidationIssue] = warnings if warnings is not None else []
    tipo = KIND_TIPO[kind]
    issues: list[ValidationIssue] = []
    _unknown(body, notes)
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
        "cliente": _cliente(body.get("cliente"), tipo, issues, notes),
    }
    for passthrough in PASSTHROUGH:
        if body.get(passthrough) is not None:
            data[passthrough] = body[passthrough]
    if moneda != "PYG" and "cambio" in body:
        data.setdefault("condicionTipoCambio", 1)
    data["items"] = _items(body.get("items"), tipo, issues, notes)
    if tipo == 1:
        data["tipoTransaccion"] = body.get("tipoTransaccion", 1)
        factura = body.get("factura")
        data["factura"] = {"presencia": 1, **(factura if isinstance(factura, dict) else {})}
        data["condicion"] = body.get("condicion") or _default_condicion(data["items"], moneda)
        transporte = body.get("transporte") or body.get("detalleTransporte")
        if transporte is not None:
            data["transporte"] = transporte
        if body.get("documentoAsociado") is not None:
            data["documentoAsociado"] = body["documentoAsociado"]
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
        _remision(body, data, issues)
    return data, issues
