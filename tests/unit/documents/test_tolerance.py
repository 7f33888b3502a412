"""The input tolerance policy (docs/document-engine.md, "Tolerancia de entrada")."""

from __future__ import annotations

import pytest

from sifenflow_common.facturasend.tolerance import tolerate

pytestmark = pytest.mark.unit


def test_blank_strings_mean_absent_at_every_depth() -> None:
    raw = {
        "observacion": "",
        "cliente": {"razonSocial": "ACME", "email": "  "},
        "items": [{"descripcion": "x", "lote": "\t"}],
    }
    out = tolerate(raw)
    assert out.data == {"cliente": {"razonSocial": "ACME"}, "items": [{"descripcion": "x"}]}
    assert out.warnings == []
    assert raw["observacion"] == ""  # the input is not modified


def test_snake_case_keys_are_folded_into_camel_case() -> None:
    assert tolerate({"tipo_documento": 1, "cliente": {"razon_social": "A"}}).data == {
        "tipoDocumento": 1,
        "cliente": {"razonSocial": "A"},
    }


def test_policy_is_idempotent() -> None:
    once = tolerate({"numeroSerie": "", "items": [{"iva_tipo": 1, "observacion": " "}]})
    twice = tolerate(once.data)
    assert twice.data == once.data and twice.warnings == []
