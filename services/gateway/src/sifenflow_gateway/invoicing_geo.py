"""Addresses of the simple `/invoicing` body: a city named by its code or by its name.

A name is looked up in DNIT's geographic catalog (geografia.csv) ignoring accents, case and a trailing
"(DISTRITO)"/"(MUNICIPIO)"; a departamento or distrito given (code or name) narrows the search. The
city then fixes distrito and departamento, so the engine receives the three codes. An unknown or
ambiguous name is an issue that lists the candidates.
"""

from __future__ import annotations

import re
from typing import Any

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.sifen.catalogs import Ciudad, geografia, normalize_text

MAX_CANDIDATES = 8
_PAREN = re.compile(r"\s*\([^)]*\)\s*$")


def _key(name: str) -> str:
    return normalize_text(name)


def _bare(name: str) -> str:
    return _key(_PAREN.sub("", name))


def _code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _describe(city: Ciudad) -> str:
    geo = geografia()
    return (
        f"{city.code} {city.name} (distrito {geo.distritos[city.distrito].name}, "
        f"departamento {geo.departamentos[city.departamento]})"
    )


def _matches(code: int, name: str, given: Any) -> bool:
    wanted = _code(given)
    return code == wanted if wanted is not None else _bare(name) == _bare(str(given))


def _narrow(cities: list[Ciudad], departamento: Any, distrito: Any) -> list[Ciudad]:
    geo = geografia()
    if departamento is not None:
        cities = [
            c for c in cities if _matches(c.departamento, geo.departamentos[c.departamento], departamento)
        ]
    if distrito is not None:
        cities = [c for c in cities if _matches(c.distrito, geo.distritos[c.distrito].name, distrito)]
    return cities


def find_city(name: str, departamento: Any = None, distrito: Any = None) -> list[Ciudad]:
    """Cities called ``name`` (exact catalog name first, then without a parenthesised suffix)."""
    cities = list(geografia().ciudades.values())
    wanted = _key(name)
    exact = [c for c in cities if _key(c.name) == wanted]
    found = exact or [c for c in cities if _bare(c.name) == _bare(name)]
    return _narrow(found, departamento, distrito)


def _candidates(name: str, departamento: Any, distrito: Any) -> list[Ciudad]:
    wanted = _bare(name)
    cities = [c for c in geografia().ciudades.values() if wanted and wanted in _key(c.name)]
    return _narrow(cities, departamento, distrito) or cities


def resolve_city(address: dict[str, Any], path: str, issues: list[ValidationIssue]) -> dict[str, Any]:
    """``address`` with ``ciudad`` as a code and its distrito/departamento codes filled in.

    Without a ``ciudad`` the address is returned as given (the caller decides whether it needs one).
    """
    ciudad = address.get("ciudad")
    if ciudad is None:
        return address
    out = dict(address)
    code = _code(ciudad)
    if code is not None:
        city = geografia().ciudades.get(code)
        if city is None:
            issues.append(
                ValidationIssue(
                    "CIUDAD_INVALIDA",
                    f"{path}.ciudad",
                    f"La ciudad {code} no existe en el catálogo geográfico (GET /{{t}}/ciudades/NULL)",
                )
            )
            return out
    elif isinstance(ciudad, str):
        found = find_city(ciudad, address.get("departamento"), address.get("distrito"))
        if len(found) != 1:
            options = found or _candidates(ciudad, address.get("departamento"), address.get("distrito"))
            listed = "; ".join(_describe(c) for c in options[:MAX_CANDIDATES])
            more = f" y {len(options) - MAX_CANDIDATES} más" if len(options) > MAX_CANDIDATES else ""
            if found:
                message = (
                    f"La ciudad «{ciudad}» es ambigua: indique su código o el departamento. "
                    f"Candidatas: {listed}{more}"
                )
                issues.append(ValidationIssue("CIUDAD_AMBIGUA", f"{path}.ciudad", message))
            else:
                hint = f" Candidatas: {listed}{more}" if options else ""
                message = f"La ciudad «{ciudad}» no existe en el catálogo geográfico.{hint}"
                issues.append(ValidationIssue("CIUDAD_INVALIDA", f"{path}.ciudad", message))
            return out
        city = found[0]
    else:
        issues.append(
            ValidationIssue("CIUDAD_INVALIDA", f"{path}.ciudad", "ciudad debe ser un código o un nombre")
        )
        return out
    out["ciudad"] = city.code
    out["distrito"] = city.distrito
    out["departamento"] = city.departamento
    for key in ("ciudadDescripcion", "distritoDescripcion", "departamentoDescripcion"):
        out.pop(key, None)
    return out
