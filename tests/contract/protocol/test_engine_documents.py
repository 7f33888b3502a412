"""Every document type built by the engine, signed with QR, is approved by the simulator over HTTP.

The chain the pipeline runs: ``documents.engine.build_document`` → ``sifen.qr.sign_rde_with_qr``
→ ``SifenClient.recepcion_de`` → simulator (XSD, signature, CDC, timbrado, QR, totals re-computed
with ``sifen.totals``) → 0260 (MT v150 §7.10 siRecepDE).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from sifenflow_common.documents.engine import build_document
from sifenflow_common.sifen.qr import sign_rde_with_qr
from tests.contract.protocol.conftest import StartSim
from tests.fixtures.documents import load_fixture
from tests.protocol_fixtures import DEMO_CSC, DEMO_CSC_ID, credentials_for, now_local

pytestmark = pytest.mark.contract

FIXTURES = [
    "fe_contado",
    "fe_credito_cuotas",
    "fe_descuentos_anticipos",
    "fe_gravado_parcial",
    "fe_innominado",
    "fe_usd",
    "fe_usd_cambio_item",
    "fe_b2g_dncp",
    "afe_constancia",
    "nc_electronico",
    "nd_impreso",
    "nre_transporte",
]


def _signed(name: str) -> tuple[str, bytes]:
    fixture = load_fixture(name)
    fixture["data"]["fecha"] = (now_local() - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    built = build_document(fixture["params"], fixture["data"], environment="test")
    signed = sign_rde_with_qr(
        built.xml, credentials_for("80069563"), csc_id=DEMO_CSC_ID, csc=DEMO_CSC, environment="test"
    )
    return built.cdc, signed


@pytest.mark.parametrize("name", FIXTURES)
async def test_engine_document_is_approved(start_sim: StartSim, name: str) -> None:
    running = await start_sim()
    cdc, signed = _signed(name)
    call = await running.client().recepcion_de(signed)
    assert call.result.approved, call.result.messages
    assert call.result.code == "0260" and call.result.cdc == cdc


async def test_wrong_item_total_is_rejected_with_the_field(start_sim: StartSim) -> None:
    # MT v150 E8.1: dTotOpeItem = (precio − descuentos) × cantidad; re-computed by the simulator
    running = await start_sim()
    fixture = load_fixture("fe_contado")
    fixture["data"]["fecha"] = now_local().strftime("%Y-%m-%dT%H:%M:%S")
    built = build_document(fixture["params"], fixture["data"], environment="test")
    start = built.xml.index(b"<dTotOpeItem>") + len(b"<dTotOpeItem>")
    end = built.xml.index(b"</dTotOpeItem>", start)
    wrong = built.xml[:start] + str(int(built.xml[start:end]) + 1000).encode() + built.xml[end:]
    signed = sign_rde_with_qr(
        wrong, credentials_for("80069563"), csc_id=DEMO_CSC_ID, csc=DEMO_CSC, environment="test"
    )
    call = await running.client().recepcion_de(signed)
    assert call.result.status == "Rechazado"
    assert call.result.code == "1900" and "dTotOpeItem" in call.result.messages[0].message


async def test_wrong_document_total_is_rejected(start_sim: StartSim) -> None:
    # MT v150 F014: dTotGralOpe = dTotOpe − dRedon + dComi
    running = await start_sim()
    fixture = load_fixture("fe_contado")
    fixture["data"]["fecha"] = now_local().strftime("%Y-%m-%dT%H:%M:%S")
    built = build_document(fixture["params"], fixture["data"], environment="test")
    start = built.xml.index(b"<dTotGralOpe>") + len(b"<dTotGralOpe>")
    end = built.xml.index(b"</dTotGralOpe>", start)
    wrong = built.xml[:start] + str(int(built.xml[start:end]) + 7).encode() + built.xml[end:]
    signed = sign_rde_with_qr(
        wrong, credentials_for("80069563"), csc_id=DEMO_CSC_ID, csc=DEMO_CSC, environment="test"
    )
    call = await running.client().recepcion_de(signed)
    assert call.result.code == "2000" and "dTotGralOpe" in call.result.messages[0].message
