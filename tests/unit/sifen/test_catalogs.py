"""Catalogs read from the reference bundle (geografia.csv and the official XSD enumerations)."""

from __future__ import annotations

import pytest

from sifenflow_common.sifen import catalogs
from sifenflow_common.sifen.codes import CODE_LISTS

pytestmark = pytest.mark.unit


def test_geography_sizes_match_the_dnit_catalog() -> None:
    # README of the bundle: 18 departamentos, 272 distritos, 6766 ciudades
    geo = catalogs.geografia()
    assert (len(geo.departamentos), len(geo.distritos), len(geo.ciudades)) == (18, 272, 6766)
    encarnacion = geo.ciudades[2226]
    assert (encarnacion.name, encarnacion.distrito, encarnacion.departamento) == ("ENCARNACION", 87, 8)
    assert all(len(c.name) <= catalogs.DESC_MAX_GEO for c in geo.ciudades.values())  # tDesCiudad max 30


def test_code_lists_pair_codes_with_official_descriptions() -> None:
    assert catalogs.code_list("iTiDE")[1] == "Factura electrónica"
    assert catalogs.code_list("iTiDE")[7] == "Nota de remisión electrónica"
    assert catalogs.code_list("iAfecIVA")[4] == "Gravado parcial (Grav- Exento)"
    assert catalogs.code_list("iTiPago")[21] == "Pago Electrónico"
    assert 99 not in catalogs.code_list("iTiPago")  # 'otro': the issuer's description
    assert catalogs.code_list("iMotEmiNR")[14] == "Decomiso"
    assert catalogs.code_list("iTipIDRec")[5] == "Innominado"
    for name in CODE_LISTS:
        assert catalogs.code_list(name), name


def test_currency_country_and_unit_catalogs() -> None:
    assert catalogs.monedas()["PYG"] == "Guarani"
    assert catalogs.monedas()["USD"] == "US Dollar"
    assert catalogs.paises()["PRY"] == "Paraguay"
    units = catalogs.unidades_medida()
    assert units[77] == "UNI"
    assert all(1 <= len(symbol) <= 10 for symbol in units.values())  # tdDesUniMed length


def test_description_comparison_ignores_case_and_accents() -> None:
    assert catalogs.same_description("operacion PRESENCIAL", "Operación presencial")
    assert not catalogs.same_description("Operación electrónica", "Operación presencial")
