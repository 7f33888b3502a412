"""Events built and signed by ``sifen.events`` (the signer's builders) through client and simulator:
receptor events and their order rules (sifen-protocol.md §7.3, MT v150 §11)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree

from sifenflow_common.sifen.events import build_event, sign_event
from tests.contract.protocol.conftest import StartSim
from tests.protocol_fixtures import DocSpec, build_rde, credentials_for, now_local

pytestmark = pytest.mark.contract


def _event(kind: str, body: dict[str, object], event_id: int, signer: str = "80069563") -> bytes:
    r_eve = build_event(kind, body, event_id=event_id)
    return etree.tostring(sign_event(r_eve, credentials_for(signer)))


def _notificacion(cdc: str) -> dict[str, object]:
    now = now_local()
    return {
        "cdc": cdc,
        "fechaEmision": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
        "fechaRecepcion": now.strftime("%Y-%m-%dT%H:%M:%S"),
        "tipoReceptor": 2,
        "nombre": "Juan Pérez",
        "documentoTipo": 1,
        "documentoNumero": "1234567",
        "totalPYG": 110000,
    }


async def test_receptor_events_and_their_order(start_sim: StartSim) -> None:
    # 4101: one notificación per CDC; 4113: no notificación after conformidad/disconformidad
    running = await start_sim()
    client = running.client()
    cdc_a, rde_a = build_rde(DocSpec(numero=1))
    cdc_b, rde_b = build_rde(DocSpec(numero=2))
    for rde in (rde_a, rde_b):
        assert (await client.recepcion_de(rde)).result.approved
    first = await client.recepcion_evento([_event("notificacion", _notificacion(cdc_a), 1)])
    assert first.result.results[0].code == "0600", first.result.results[0].messages
    again = await client.recepcion_evento([_event("notificacion", _notificacion(cdc_a), 2)])
    assert again.result.results[0].code == "4101"
    disconf = {"cdc": cdc_b, "motivo": "Mercadería no entregada"}
    assert (await client.recepcion_evento([_event("disconformidad", disconf, 3)])).result.results[
        0
    ].code == "0600"
    late = await client.recepcion_evento([_event("notificacion", _notificacion(cdc_b), 4)])
    assert late.result.results[0].code == "4113"
    content = (await client.consulta_de(cdc_b)).result.content
    assert content is not None and len(content.events) == 1 and b"rGeVeDisconf" in content.events[0]


async def test_signer_events_cancel_and_inutilizacion(start_sim: StartSim) -> None:
    running = await start_sim()
    client = running.client()
    cdc, rde = build_rde(DocSpec(numero=1))
    assert (await client.recepcion_de(rde)).result.approved
    inutil = {
        "timbrado": "12345678",
        "tipoDocumento": 1,
        "establecimiento": "001",
        "punto": "001",
        "desde": 10,
        "hasta": 20,
        "motivo": "Saltos en la numeración",
    }
    call = await client.recepcion_evento(
        [
            _event("cancelacion", {"cdc": cdc, "motivo": "Error en los datos del cliente"}, 1),
            _event("inutilizacion", inutil, 2),
            _event("inutilizacion", {**inutil, "desde": 30, "hasta": 31}, 3, signer="80002201"),
        ]
    )
    codes = [r.code for r in call.result.results]
    # 4069: only the timbrado's owner may inutilize its numbers
    assert codes == ["0600", "0600", "4069"]
    assert all(r.protocol for r in call.result.results[:2])
