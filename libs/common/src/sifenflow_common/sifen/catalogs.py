"""Catalogs read once from the reference data: geography (geografia.csv) and the code lists of
the official XSDs (monedas, países, unidades de medida, departamentos and the DE_Types code lists).

Everything is parsed on first use from the packaged data (or ``SIFEN_REFERENCE_DIR``, see
``sifen.reference``) and cached for the life of the process.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from lxml import etree

from sifenflow_common.sifen.codes import CODE_LISTS, CodeListSpec
from sifenflow_common.sifen.reference import catalogs_dir, xsd_dir

_XS = "{http://www.w3.org/2001/XMLSchema}"
DESC_MAX_GEO = 30  # tDesCiudad / tDesDistrito / tdDesCiuEmi maxLength


@dataclass(frozen=True, slots=True)
class Distrito:
    code: int
    name: str
    departamento: int


@dataclass(frozen=True, slots=True)
class Ciudad:
    code: int
    name: str
    distrito: int
    departamento: int


@dataclass(frozen=True, slots=True)
class Geografia:
    departamentos: dict[int, str]
    distritos: dict[int, Distrito]
    ciudades: dict[int, Ciudad]


def _geo_name(name: str) -> str:
    # Some official city names exceed the 30 characters the XSD allows for a description.
    return name.strip()[:DESC_MAX_GEO].rstrip()


@cache
def geografia() -> Geografia:
    """Departamentos, distritos, ciudades from DNIT's geografia.csv (codes unique per level)."""
    departamentos: dict[int, str] = {}
    distritos: dict[int, Distrito] = {}
    ciudades: dict[int, Ciudad] = {}
    with (catalogs_dir() / "geografia.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            dep = int(row["department_code"])
            dis = int(row["district_code"])
            ciu = int(row["city_code"])
            departamentos.setdefault(dep, _geo_name(row["department_name"]))
            distritos.setdefault(dis, Distrito(dis, _geo_name(row["district_name"]), dep))
            ciudades.setdefault(ciu, Ciudad(ciu, _geo_name(row["city_name"]), dis, dep))
    return Geografia(departamentos, distritos, ciudades)


def _schema_root(name: str) -> etree._Element:
    path: Path = xsd_dir() / name
    return etree.parse(str(path)).getroot()


def _simple_type(root: etree._Element, name: str) -> etree._Element:
    for st in root.iter(_XS + "simpleType"):
        if st.get("name") == name:
            return st
    raise KeyError(f"simpleType {name} not in schema")


def _documented_enum(schema: str, type_name: str) -> dict[str, str]:
    """Enumeration value -> its xs:documentation text (CodeName child when present)."""
    out: dict[str, str] = {}
    for en in _simple_type(_schema_root(schema), type_name).iter(_XS + "enumeration"):
        doc = en.find(f".//{_XS}documentation")
        text = ""
        if doc is not None:
            text = " ".join("".join(str(t) for t in doc.itertext()).split())
        out[str(en.get("value"))] = text
    return out


@cache
def monedas() -> dict[str, str]:
    """ISO 4217 code -> name (D015/D016), from Monedas_v150.xsd."""
    return _documented_enum("Monedas_v150.xsd", "cMondT")


@cache
def paises() -> dict[str, str]:
    """ISO 3166 alpha-3 -> Spanish name (D203/D204), from Paises_v100.xsd."""
    return _documented_enum("Paises_v100.xsd", "paisType")


@cache
def unidades_medida() -> dict[int, str]:
    """cUniMed code -> dDesUniMed symbol (E709/E710), from Unidades_Medida_v141.xsd.

    The code's documentation reads ``"Unidad - UNI"``; the symbol after the last `` - `` is what
    the description element (``tdDesUniMed``, max 10 characters) takes.
    """
    symbols = set(_documented_enum("Unidades_Medida_v141.xsd", "tdDesUniMed"))
    out: dict[int, str] = {}
    for code, doc in _documented_enum("Unidades_Medida_v141.xsd", "tcUniMed").items():
        symbol = doc.rsplit(" - ", 1)[-1].strip()
        if symbol not in symbols:
            symbol = symbol[:10]
        out[int(code)] = symbol
    return out


@cache
def code_list(name: str) -> dict[int, str]:
    """Code -> official description for one of ``codes.CODE_LISTS`` (e.g. ``"iTiPago"``)."""
    spec: CodeListSpec = CODE_LISTS[name]
    root = _schema_root("DE_Types_v150.xsd")
    descriptions = [
        str(e.get("value")) for e in _simple_type(root, spec.description_type).iter(_XS + "enumeration")
    ]
    codes = spec.codes
    if spec.code_type is not None:
        codes = tuple(
            int(str(e.get("value"))) for e in _simple_type(root, spec.code_type).iter(_XS + "enumeration")
        )
    if spec.otro is not None:
        codes = tuple(c for c in codes if c != spec.otro)
    return dict(zip(codes, descriptions, strict=False))


@cache
def caracteristica_carga() -> dict[int, str]:
    """G057 iCarCarga -> G058 description (anonymous enumeration inside DE_v150.xsd)."""
    root = _schema_root("DE_v150.xsd")
    for el in root.iter(_XS + "element"):
        if el.get("name") == "dDesCarCarga":
            values = [str(e.get("value")) for e in el.iter(_XS + "enumeration")]
            return dict(zip((1, 2), values, strict=False))
    return {}


_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=8192)
def normalize_text(text: str) -> str:
    """Comparison key for descriptions: no accents, case-folded, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", stripped).strip().casefold()


def same_description(given: str, official: str) -> bool:
    return normalize_text(given) == normalize_text(official)


def warm_up() -> None:
    """Load every catalog now (workers call this at start so no request pays the parse)."""
    geografia()
    monedas()
    paises()
    unidades_medida()
    caracteristica_carga()
    for name in CODE_LISTS:
        code_list(name)
