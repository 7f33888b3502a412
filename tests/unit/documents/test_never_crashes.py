"""Fuzz: any JSON value anywhere in a document gives issues or a document, never an exception."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sifenflow_common.documents.engine import build_document
from sifenflow_common.errors import DocumentInvalid
from sifenflow_common.sifen.xsd import SCHEMA_RDE, schema_errors
from tests.fixtures.documents import FIXTURE_NAMES, load_fixture
from tests.unit.documents.conftest import with_placeholder_signature

pytestmark = pytest.mark.unit

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "0", "-1", "2024-02-30", "99999999999999999999", "1e400", "NaN", "001", "PYG"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


OPTIONAL_KEYS = [
    "descuentoGlobal",
    "anticipoGlobal",
    "cambio",
    "condicionTipoCambio",
    "condicionAnticipo",
    "obligaciones",
    "usuario",
    "complementarios",
    "serie",
    "cdc",
    "codigoSeguridadAleatorio",
    "redondeoSedeco",
    "tipoEmision",
    "tipoImpuesto",
    "sectorSeguros",
    "sectorAdicional",
    "sectorEnergiaElectrica",
    "sectorSupermercados",
    "documentoAsociado",
    "dncp",
    "transporte",
    "detalleTransporte",
    "total",
    "concepto",
    "moneda",
]
_BASES = {name: load_fixture(name) for name in FIXTURE_NAMES}
_PATHS = {name: _paths(fx) for name, fx in _BASES.items()}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_documents_never_raise(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(FIXTURE_NAMES))
    fx = copy.deepcopy(_BASES[name])
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_PATHS[name]))
        node: Any = fx
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = data.draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced a parent
    if isinstance(fx.get("data"), dict) and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(OPTIONAL_KEYS))
        fx["data"][key] = data.draw(json_values | st.integers(-5, 100) | st.decimals(allow_nan=False))
    try:
        built = build_document(fx["params"], fx["data"])
    except DocumentInvalid as exc:
        assert exc.issues and all(i.code.isupper() and i.path and i.message for i in exc.issues)
    else:
        assert built.xml and len(built.cdc) == 44
        # what we accept, SIFEN's schema accepts: our rules are at least as strict as the XSD
        if built.tipo_documento != 55:
            errors = schema_errors(with_placeholder_signature(built.xml), SCHEMA_RDE)
            assert errors == [], (errors, fx)


def test_control_character_in_text_is_an_issue_not_a_crash() -> None:
    # MT v150 §7.2.4: the rDE is well-formed UTF-8 XML; XML 1.0 cannot carry U+0001.
    fx = copy.deepcopy(_BASES["fe_contado"])
    fx["data"]["items"][0]["descripcion"] = "Servicio\x01"
    with pytest.raises(DocumentInvalid) as exc:
        build_document(fx["params"], fx["data"])
    assert [(i.code, i.path) for i in exc.value.issues] == [
        ("CARACTER_INVALIDO", "data.items[0].descripcion")
    ]


def test_lone_surrogate_is_an_issue_and_validate_reports_it_too() -> None:
    # MT v150 §7.2.4 (UTF-8): a lone surrogate cannot be encoded at all.
    fx = copy.deepcopy(_BASES["fe_contado"])
    fx["data"]["cliente"]["razonSocial"] = "Cliente \ud800"
    with pytest.raises(DocumentInvalid) as exc:
        build_document(fx["params"], fx["data"])
    assert [i.path for i in exc.value.issues] == ["data.cliente.razonSocial"]
    from sifenflow_common.documents.engine import validate_document

    assert [i.code for i in validate_document(fx["params"], fx["data"])] == ["CARACTER_INVALIDO"]
    assert validate_document(_BASES["fe_contado"]["params"], _BASES["fe_contado"]["data"]) == []


@pytest.mark.parametrize(
    ("key", "path"), [("entidad", "entidad"), ("año", "año"), ("secuencia", "secuencia")]
)
def test_dncp_codes_of_zero_are_refused(key: str, path: str) -> None:
    # DE_Types_v150.xsd: tdEntCont, tdAnoCont, tdSecCont are xs:positiveInteger (MT v150 E022-E024).
    fx = load_fixture("fe_b2g_dncp")
    dncp = fx["data"].get("dncp") or fx["data"]["factura"]["dncp"]
    dncp[key] = 0
    with pytest.raises(DocumentInvalid) as exc:
        build_document(fx["params"], fx["data"])
    assert [i.code for i in exc.value.issues] == ["VALOR_INVALIDO"]
    assert exc.value.issues[0].path.endswith(f"dncp.{path}")
