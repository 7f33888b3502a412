"""Field-level rules of MT v150 shared by every group: RUC, dates, numbers, codes, catalogs.

Each checker records issues on the collector and returns the normalized value (or ``None`` when
invalid), so the document mapping validates and converts in one pass.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Final

from sifenflow_common.facturasend.issues import IssueCollector
from sifenflow_common.sifen import catalogs
from sifenflow_common.sifen.cdc import check_digit
from sifenflow_common.sifen.codes import CODE_LISTS
from sifenflow_common.sifen.rounding import fraction_digits

_RUC_RE: Final = re.compile(r"([1-9][0-9]{0,6}[0-9A-D]?)-([0-9])")
_DATETIME_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_DATE_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL_RE: Final = re.compile(r"[0-9a-zA-Z]([0-9a-zA-Z.\-_])*@([0-9a-zA-Z][0-9a-zA-Z\-_]*\.)+[a-zA-Z]{2,9}")
_DIGITS_RE: Final = re.compile(r"[0-9]+")
MAX_AMOUNT: Final = Decimal("999999999999999.99999999")


@lru_cache(maxsize=4096)
def _ruc_dv(number: str) -> int:
    # == dv11(number) (MT v150 §10.2); C-level loop when the number is all digits (the usual RUC)
    return check_digit(number)


def check_ruc(value: str, path: str, issues: IssueCollector) -> tuple[str, int] | None:
    """``NNNNNNN-D`` with a correct module-11 DV (MT v150 D101/D102, §10.2)."""
    m = _RUC_RE.fullmatch(value.strip().upper())
    if m is None or len(m.group(1)) < 3:
        issues.add("RUC_INVALIDO", path, f"RUC '{value}' inválido: formato esperado NNNNNNN-D con DV")
        return None
    number, dv = m.group(1), int(m.group(2))
    expected = _ruc_dv(number)
    if expected != dv:
        issues.add(
            "RUC_DV_INVALIDO", path, f"El dígito verificador de '{value}' debe ser {expected}, no {dv}"
        )
        return None
    return number, dv


def check_datetime(value: str, path: str, issues: IssueCollector) -> datetime | None:
    """``AAAA-MM-DDThh:mm:ss`` without fraction or offset (MT v150 D002)."""
    if not _DATETIME_RE.fullmatch(value):
        issues.add(
            "FECHA_FORMATO_INVALIDO",
            path,
            f"Fecha '{value}' inválida: formato AAAA-MM-DDThh:mm:ss sin milisegundos ni zona horaria",
        )
        return None
    try:
        return datetime(
            int(value[0:4]),
            int(value[5:7]),
            int(value[8:10]),
            int(value[11:13]),
            int(value[14:16]),
            int(value[17:19]),
        )
    except ValueError:
        issues.add("FECHA_INVALIDA", path, f"La fecha '{value}' no existe")
        return None


def check_date(value: str, path: str, issues: IssueCollector) -> date | None:
    """``AAAA-MM-DD`` (MT v150 tFecAAAAMMDDguion)."""
    if not _DATE_RE.fullmatch(value):
        issues.add("FECHA_FORMATO_INVALIDO", path, f"Fecha '{value}' inválida: formato AAAA-MM-DD")
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        issues.add("FECHA_INVALIDA", path, f"La fecha '{value}' no existe")
        return None
    if parsed.year < 2000:
        issues.add("FECHA_INVALIDA", path, f"La fecha '{value}' está fuera del rango admitido")
        return None
    return parsed


def check_padded(value: int | str, width: int, path: str, issues: IssueCollector, label: str) -> str | None:
    """Establecimiento / punto (3), número (7), timbrado (8): digits, left-padded with zeros."""
    text = str(value).strip()
    if not _DIGITS_RE.fullmatch(text) or len(text) > width or int(text) == 0:
        issues.add(
            "TIMBRADO_INVALIDO" if label == "timbrado" else "ESTABLECIMIENTO_INVALIDO",
            path,
            f"{label.capitalize()} '{value}' inválido: hasta {width} dígitos, distinto de cero",
        )
        return None
    return text.zfill(width)


def check_digits(
    value: int | str, path: str, issues: IssueCollector, label: str, min_len: int, max_len: int
) -> str | None:
    text = str(value).strip()
    if not _DIGITS_RE.fullmatch(text) or not (min_len <= len(text) <= max_len):
        span = f"{min_len}" if min_len == max_len else f"{min_len} a {max_len}"
        issues.add("VALOR_INVALIDO", path, f"{label} '{value}' inválido: {span} dígitos")
        return None
    return text


def check_amount(
    value: Decimal,
    path: str,
    issues: IssueCollector,
    *,
    max_decimals: int = 8,
    positive: bool = False,
    maximum: Decimal = MAX_AMOUNT,
) -> Decimal | None:
    if value < 0 or (positive and value == 0):
        issues.add("VALOR_INVALIDO", path, "Debe ser mayor que cero" if positive else "No puede ser negativo")
        return None
    if fraction_digits(value) > max_decimals:
        issues.add("DECIMALES_EXCEDIDOS", path, f"Admite como máximo {max_decimals} decimales")
        return None
    if value > maximum:
        issues.add("MONTO_EXCEDIDO", path, f"Supera el máximo permitido ({maximum})")
        return None
    return value


def check_code(
    name: str,
    code: int,
    path: str,
    issues: IssueCollector,
    description: str | None = None,
    desc_path: str | None = None,
) -> str | None:
    """Code of one of the official lists; returns its description (the issuer's for 'otro')."""
    spec = CODE_LISTS[name]
    table = catalogs.code_list(name)
    if spec.otro is not None and code == spec.otro:
        if not description:
            issues.add(
                "DESCRIPCION_REQUERIDA",
                desc_path or path,
                f"El código {code} ('otro') requiere su descripción",
            )
            return None
        return description
    official = table.get(code)
    if official is None:
        allowed = ", ".join(str(c) for c in [*table, *([spec.otro] if spec.otro else [])])
        issues.add("CODIGO_NO_PERMITIDO", path, f"Código {code} no permitido; valores: {allowed}")
        return None
    if description and not catalogs.same_description(description, official):
        issues.add(
            "DESCRIPCION_NO_COINCIDE",
            desc_path or path,
            f"La descripción '{description}' no corresponde al código {code} ('{official}')",
        )
    return official


def check_in(value: int, allowed: frozenset[int] | set[int], path: str, issues: IssueCollector) -> int | None:
    if value not in allowed:
        values = ", ".join(str(v) for v in sorted(allowed))
        issues.add("CODIGO_NO_PERMITIDO", path, f"Código {value} no permitido; valores: {values}")
        return None
    return value


def first_email(value: str | None, path: str, issues: IssueCollector) -> str | None:
    """Only the first address of a comma list reaches SIFEN (MT D216 / D118)."""
    if value is None:
        return None
    first = value.split(",")[0].strip()
    if not (3 <= len(first) <= 80) or " " in first or _EMAIL_RE.fullmatch(first) is None:
        issues.add("EMAIL_INVALIDO", path, f"Correo '{first}' inválido")
        return None
    return first


def check_moneda(
    code: str, path: str, issues: IssueCollector, description: str | None = None, desc_path: str | None = None
) -> str | None:
    """ISO 4217 code of Monedas_v150.xsd; returns the description (max 20 characters, D016)."""
    name = catalogs.monedas().get(code.upper())
    if name is None:
        issues.add("MONEDA_INVALIDA", path, f"Moneda '{code}' no está en la lista de SIFEN (ISO 4217)")
        return None
    return name[:20]


def check_pais(
    code: str, path: str, issues: IssueCollector, description: str | None = None, desc_path: str | None = None
) -> str | None:
    name = catalogs.paises().get(code.upper())
    if name is None:
        issues.add("PAIS_INVALIDO", path, f"País '{code}' no está en la lista de SIFEN (ISO 3166 alfa-3)")
        return None
    if description and not catalogs.same_description(description, name):
        issues.add(
            "DESCRIPCION_NO_COINCIDE",
            desc_path or path,
            f"La descripción '{description}' no corresponde al país {code} ('{name}')",
        )
    return name


def check_unidad(code: int, path: str, issues: IssueCollector, description: str | None = None) -> str | None:
    symbol = catalogs.unidades_medida().get(code)
    if symbol is None:
        issues.add(
            "UNIDAD_MEDIDA_INVALIDA", path, f"Unidad de medida {code} inexistente en la lista de SIFEN"
        )
        return None
    if description and not catalogs.same_description(description, symbol):
        issues.add(
            "DESCRIPCION_NO_COINCIDE",
            path + "Descripcion",
            f"La descripción '{description}' no corresponde a la unidad {code} ('{symbol}')",
        )
    return symbol


class Geo:
    """Resolved location: codes and official descriptions (distrito filled from the ciudad)."""

    __slots__ = ("ciu", "ciu_desc", "dep", "dep_desc", "dis", "dis_desc")

    def __init__(self, dep: int, dep_desc: str, dis: int, dis_desc: str, ciu: int, ciu_desc: str) -> None:
        self.dep, self.dep_desc, self.dis, self.dis_desc, self.ciu, self.ciu_desc = (
            dep,
            dep_desc,
            dis,
            dis_desc,
            ciu,
            ciu_desc,
        )


def check_geo(
    path: str,
    issues: IssueCollector,
    departamento: int | None,
    distrito: int | None,
    ciudad: int | None,
    departamento_descripcion: str | None = None,
    distrito_descripcion: str | None = None,
    ciudad_descripcion: str | None = None,
) -> Geo | None:
    """Departamento / distrito / ciudad from geografia.csv; the ciudad implies the other two."""
    geo = catalogs.geografia()
    if ciudad is None:
        issues.add("CAMPO_REQUERIDO", f"{path}.ciudad", "Falta la ciudad (código del catálogo geográfico)")
        return None
    city = geo.ciudades.get(ciudad)
    if city is None:
        issues.add(
            "CIUDAD_INVALIDA", f"{path}.ciudad", f"Ciudad {ciudad} inexistente en el catálogo geográfico"
        )
        return None
    ok = True
    if departamento is not None and departamento not in geo.departamentos:
        issues.add(
            "DEPARTAMENTO_INVALIDO", f"{path}.departamento", f"Departamento {departamento} inexistente"
        )
        ok = False
    elif departamento is not None and departamento != city.departamento:
        issues.add(
            "UBICACION_INCONSISTENTE",
            f"{path}.departamento",
            f"La ciudad {ciudad} ({city.name}) pertenece al departamento {city.departamento}, "
            f"no al {departamento}",
        )
        ok = False
    if distrito is not None and distrito not in geo.distritos:
        issues.add("DISTRITO_INVALIDO", f"{path}.distrito", f"Distrito {distrito} inexistente")
        ok = False
    elif distrito is not None and distrito != city.distrito:
        issues.add(
            "UBICACION_INCONSISTENTE",
            f"{path}.distrito",
            f"La ciudad {ciudad} ({city.name}) pertenece al distrito {city.distrito}, no al {distrito}",
        )
        ok = False
    if not ok:
        return None
    dep_desc = geo.departamentos[city.departamento]
    dis_desc = geo.distritos[city.distrito].name
    for given, official, key in (
        (departamento_descripcion, dep_desc, "departamentoDescripcion"),
        (distrito_descripcion, dis_desc, "distritoDescripcion"),
        (ciudad_descripcion, city.name, "ciudadDescripcion"),
    ):
        if given and not catalogs.same_description(given[: catalogs.DESC_MAX_GEO], official):
            issues.add(
                "DESCRIPCION_NO_COINCIDE",
                f"{path}.{key}",
                f"La descripción '{given}' no corresponde al código (catálogo: '{official}')",
            )
    return Geo(city.departamento, dep_desc, city.distrito, dis_desc, city.code, city.name)
