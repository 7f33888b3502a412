"""Simulator parts without the network: fault plans, registry validation, lote states."""

from __future__ import annotations

import pytest

from sifenflow_sifen_sim.faults import FaultConfigError, FaultInjector, FaultKind, plan_from_dict
from sifenflow_sifen_sim.registry import Registry, RegistryError, contribuyente_from_dict, load_registry_file
from sifenflow_sifen_sim.tls import ruc_of_peer
from tests.protocol_fixtures import demo_contribuyente

pytestmark = pytest.mark.unit


def _draws(seed: int, n: int = 40) -> list[str | None]:
    injector = FaultInjector(
        plan_from_dict({"seed": seed, "rules": [{"kind": "http_503", "probability": 0.3}]})
    )
    return [(r.kind.value if (r := injector.http_fault("rEnviDe")) else None) for _ in range(n)]


def test_faults_are_deterministic_for_a_seed() -> None:
    first, again, other = _draws(11), _draws(11), _draws(12)
    assert first == again
    assert first != other
    assert 0 < first.count("http_503") < 40


def test_fault_count_operations_and_lote_rules() -> None:
    injector = FaultInjector(
        plan_from_dict(
            {
                "rules": [
                    {"kind": "html", "operations": ["rEnviConsRUC"], "count": 2},
                    {"kind": "lote_en_proceso", "polls": 3},
                    {"kind": "lote_no_encolado", "count": 1},
                ]
            }
        )
    )
    assert injector.http_fault("rEnviDe") is None  # other operation
    kinds = [injector.http_fault("rEnviConsRUC") for _ in range(3)]
    assert [k.kind if k else None for k in kinds] == [FaultKind.HTML, FaultKind.HTML, None]
    assert injector.in_process_polls() == 3
    assert injector.lote_not_queued() and not injector.lote_not_queued()


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"rules": [{"kind": "terremoto"}]}, "$.rules[0].kind"),
        ({"rules": [{"kind": "html", "probability": 2}]}, "$.rules[0].probability"),
        ([], "$"),
    ],
)
def test_invalid_fault_plans_name_the_field(data: object, path: str) -> None:
    with pytest.raises(FaultConfigError) as error:
        plan_from_dict(data)  # type: ignore[arg-type]
    assert error.value.path == path and error.value.code == "FALLA_INVALIDA"


def test_registry_entry_validation() -> None:
    entry = contribuyente_from_dict(demo_contribuyente())
    assert entry.timbrados[0].establecimientos == {"001": frozenset({"001", "002"})}
    assert "ABCD" not in str(entry.public_dict())  # CSC secrets never listed
    with pytest.raises(RegistryError) as bad_dv:
        contribuyente_from_dict({"ruc": "80069563-9", "razon_social": "X"})
    assert bad_dv.value.code == "RUC_DV_INVALIDO"  # MT v150 §10.2 module-11 DV
    with pytest.raises(RegistryError) as bad_timbrado:
        contribuyente_from_dict({"ruc": "80069563", "razon_social": "X", "timbrados": [{"numero": "12"}]})
    assert bad_timbrado.value.path == "$.timbrados[0].numero"
    registry = Registry([entry])
    assert registry.get("080069563-1") is entry
    assert registry.owner_of_timbrado("12345678") is entry


def test_registry_file(tmp_path) -> None:
    import json

    path = tmp_path / "r.json"
    path.write_text(json.dumps({"contribuyentes": [demo_contribuyente()]}), encoding="utf-8")
    assert [c.ruc for c in load_registry_file(path)] == ["80069563"]


def test_ruc_of_client_certificate_subject() -> None:
    # sifen-protocol.md §1.3: RUC in subject serialNumber as RUC<number>-<dv>
    peer = {"subject": ((("commonName", "EMPRESA"),), (("serialNumber", "RUC80069563-1"),))}
    assert ruc_of_peer(peer) == "80069563"
    assert ruc_of_peer({"subject": ((("commonName", "X"),),)}) is None
    assert ruc_of_peer(None) is None
