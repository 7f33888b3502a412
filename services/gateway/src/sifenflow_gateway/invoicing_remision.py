"""What a nota de remisión of the simple `/invoicing` body still lacks, every field at once.

SIFEN requires for iTiDE 7 (MT v150): the receptor's address with its city (D213, D218, D219-D223),
the distance (E505 dKmR) and the transport group E10 with its departure (E920), delivery (E940),
vehicle (E960) and carrier (E980). The engine reports these one group at a time; an integrator
completing the documented example gets the whole list in one 400 instead.
"""

from __future__ import annotations

from typing import Any

from sifenflow_common.errors import ValidationIssue

_PLACE = (("direccion", "la dirección"), ("numeroCasa", "el número de casa"), ("ciudad", "la ciudad"))
_WHAT = {
    "cliente": "del receptor",
    "salida": "del local de salida (MT E920)",
    "entrega": "del local de entrega (MT E940)",
}


def _missing(path: str, label: str) -> ValidationIssue:
    return ValidationIssue("CAMPO_REQUERIDO", path, f"Nota de remisión: falta {label}")


def _absent(group: dict[str, Any], key: str) -> bool:
    value = group.get(key)
    return value is None or (isinstance(value, str) and not value.strip())


def _group(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else {}


def _place(group: dict[str, Any], path: str, who: str) -> list[ValidationIssue]:
    return [_missing(f"{path}.{k}", f"{label} {who}") for k, label in _PLACE if _absent(group, k)]


def missing_transport(data: dict[str, Any], key: str = "transporte") -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    cliente = data.get("cliente") or {}
    if cliente.get("tipoOperacion") != 4:
        issues += _place(cliente, "cliente", _WHAT["cliente"])
    elif _absent(cliente, "direccion"):
        issues.append(_missing("cliente.direccion", "la dirección del receptor"))
    if _absent(data.get("remision") or {}, "kms"):
        issues.append(_missing("remision.kms", "la distancia recorrida en km (MT E505)"))
    transporte = _group(data.get("transporte"))
    for field, label in (
        ("tipo", "el tipo de transporte: 1 propio, 2 tercero (MT E901)"),
        ("modalidad", "la modalidad: 1 terrestre, 2 fluvial, 3 aéreo, 4 multimodal (MT E903)"),
        ("tipoResponsable", "el responsable del flete (MT E905)"),
    ):
        if _absent(transporte, field):
            issues.append(_missing(f"{key}.{field}", label))
    for place in ("salida", "entrega"):
        issues += _place(_group(transporte.get(place)), f"{key}.{place}", _WHAT[place])
    vehiculo = _group(transporte.get("vehiculo"))
    vpath = f"{key}.vehiculo"
    vehicle_fields = (("tipo", "el tipo"), ("marca", "la marca"), ("documentoTipo", "documentoTipo (1 o 2)"))
    for field, label in vehicle_fields:
        if _absent(vehiculo, field):
            issues.append(_missing(f"{vpath}.{field}", f"{label} del vehículo"))
    id_fields: dict[Any, str] = {1: "documentoNumero", 2: "numeroMatricula"}
    id_field = id_fields.get(vehiculo.get("documentoTipo"))
    if id_field is not None and _absent(vehiculo, id_field):
        issues.append(_missing(f"{vpath}.{id_field}", f"{id_field} del vehículo"))
    carrier = _group(transporte.get("transportista"))
    tpath = f"{key}.transportista"
    for field, label in (
        ("contribuyente", "si es contribuyente (true/false)"),
        ("nombre", "el nombre"),
        ("direccion", "la dirección"),
    ):
        if _absent(carrier, field):
            issues.append(_missing(f"{tpath}.{field}", f"{label} del transportista"))
    if carrier.get("contribuyente") is True and _absent(carrier, "ruc"):
        issues.append(_missing(f"{tpath}.ruc", "el RUC con DV del transportista"))
    if carrier.get("contribuyente") is False:
        for field in ("documentoTipo", "documentoNumero"):
            if _absent(carrier, field):
                issues.append(_missing(f"{tpath}.{field}", f"{field} del transportista"))
    chofer = _group(carrier.get("chofer"))
    driver_fields = (
        ("documentoNumero", "el documento"),
        ("nombre", "el nombre"),
        ("direccion", "el domicilio"),
    )
    for field, label in driver_fields:
        if _absent(chofer, field):
            issues.append(_missing(f"{tpath}.chofer.{field}", f"{label} del chofer"))
    return issues
