"""Client ↔ simulator over real HTTP on loopback: every operation and response code path.

Envelopes are validated on both sides against the official WS schemas: the simulator validates
every request (it would answer 0160 otherwise) and these tests validate every response received.
"""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from lxml import etree

from sifenflow_common.sifen import soap, xsd
from sifenflow_common.sifen.dsig import sign_element
from sifenflow_common.sifen.namespaces import DSIG_NS, SIFEN_NS
from sifenflow_common.sifen.qr import add_qr
from sifenflow_common.sifen.soap import Operation
from sifenflow_common.sifen_client import SifenPort, SifenRejection
from sifenflow_sifen_sim.admin_token import ensure_admin_token
from sifenflow_sifen_sim.settings import SimSettings
from tests.contract.protocol.conftest import StartSim, eventually
from tests.protocol_fixtures import (
    DEMO_CSC,
    DEMO_CSC_ID,
    DEMO_RUC,
    INNOMINADO_B2C,
    DocSpec,
    build_cancel_event,
    build_conformidad_event,
    build_inutilizacion_event,
    build_rde,
    credentials_for,
    now_local,
)

pytestmark = pytest.mark.contract

SCHEMAS = {
    Operation.RECEPCION_DE: xsd.SCHEMA_WS_RECEP_DE,
    Operation.RECEPCION_LOTE: xsd.SCHEMA_WS_RECEP_LOTE,
    Operation.CONSULTA_LOTE: xsd.SCHEMA_WS_CONS_LOTE,
    Operation.CONSULTA_DE: xsd.SCHEMA_WS_CONS_DE,
    Operation.CONSULTA_RUC: xsd.SCHEMA_WS_CONS_RUC,
    Operation.RECEPCION_EVENTO: xsd.SCHEMA_WS_RECEP_EVENTO,
}


def assert_exchange_valid(call, operation: Operation) -> None:
    """Both envelopes of the exchange validate against the operation's WS schema."""
    for data in (call.request_xml, call.response_xml):
        assert xsd.schema_errors(soap.body_element(data), SCHEMAS[operation]) == []


# ---------------------------------------------------------------- siRecepDE


async def test_signed_fe_sync_reception_is_approved_0260(start_sim: StartSim) -> None:
    # MT v150 §7.10 siRecepDE: a valid FE is answered Aprobado with 0260 and a dProtAut
    running = await start_sim()
    client = running.client()
    cdc, rde = build_rde()
    call = await client.recepcion_de(rde, d_id=1)
    assert_exchange_valid(call, Operation.RECEPCION_DE)
    prot = call.result
    assert prot.approved and prot.status == "Aprobado"
    assert prot.code == "0260" and prot.cdc == cdc
    assert prot.protocol is not None and prot.protocol > 0
    assert prot.digest_value and prot.processed_at is not None
    assert call.http_status == 200 and call.url.endswith("/de/ws/sync/recibe.wsdl")


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (DocSpec(break_dv=True), "1003"),  # MT v150 §10.2: CDC check digit
        (DocSpec(timbrado="87654321"), "1101"),  # timbrado not of this RUC
        (DocSpec(est="009"), "1105"),  # establecimiento not in timbrado
        (DocSpec(pun="007"), "1106"),  # punto de expedición not in timbrado
        (DocSpec(timbrado_inicio="2023-05-01"), "1107"),  # dFeIniT differs from the registered one
        (DocSpec(ruc="80002201"), "1101"),  # emisor not registered
    ],
)
async def test_document_rejections_have_their_specific_code(
    start_sim: StartSim, spec: DocSpec, code: str
) -> None:
    running = await start_sim()
    _, rde = build_rde(spec)
    call = await running.client().recepcion_de(rde)
    assert_exchange_valid(call, Operation.RECEPCION_DE)
    assert call.result.status == "Rechazado" and not call.result.approved
    assert call.result.code == code
    assert call.result.protocol is None


async def test_duplicate_cdc_is_rejected_1001(start_sim: StartSim) -> None:
    # MT v150 code 1001: another DE already approved with the same CDC
    running = await start_sim()
    client = running.client()
    _, rde = build_rde()
    assert (await client.recepcion_de(rde)).result.approved
    again = await client.recepcion_de(rde)
    assert again.result.code == "1001" and again.result.status == "Rechazado"


async def test_same_number_with_other_cdc_is_rejected_1002(start_sim: StartSim) -> None:
    # MT v150 code 1002: same iTiDE+timbrado+est+punto+número already approved
    running = await start_sim()
    client = running.client()
    assert (await client.recepcion_de(build_rde(DocSpec(numero=5))[1])).result.approved
    second = await client.recepcion_de(build_rde(DocSpec(numero=5))[1])  # new dCodSeg -> new CDC
    assert second.result.code == "1002"


async def test_schema_error_is_0160_with_the_first_error(start_sim: StartSim) -> None:
    # 0160 XML malformado; the simulator names the first XSD error (better than SIFEN)
    running = await start_sim()
    _, rde = build_rde()
    broken = rde.replace(b"<dSisFact>1</dSisFact>", b"<dSisFact>9</dSisFact>")
    call = await running.client().recepcion_de(broken)
    assert call.result.code == "0160"
    assert "dSisFact" in call.result.messages[0].message


async def test_signed_in_the_future_is_1004_and_late_is_approved_with_1005(start_sim: StartSim) -> None:
    # MT v150 §6.2.1: signature later than SIFEN time → 1004; sent > 72 h after signing → 1005 (AO)
    running = await start_sim()
    client = running.client()
    future = now_local() + timedelta(hours=2)
    ahead = await client.recepcion_de(build_rde(DocSpec(numero=1, emitted=future))[1])
    assert ahead.result.code == "1004"
    _, signed_now = build_rde(DocSpec(numero=2))
    await running.admin("POST", "/admin/clock", {"advance_seconds": 80 * 3600})  # sent 80 h later
    late = await client.recepcion_de(signed_now)
    assert late.result.status == "Aprobado con observación"
    assert late.result.approved
    assert [m.code for m in late.result.messages] == ["0260", "1005"]


async def test_emission_date_windows(start_sim: StartSim) -> None:
    # MT v150 §6.2.1: dFeEmiDE up to 120 h from the transmission is on time; 120-720 h in the past
    # is approved with observation 1005; older, or more than 120 h ahead, is rejected (the Manual
    # gives no code: the simulator's 1161 / 1160, docs/sifen-simulator.md).
    client = (await start_sim()).client()
    now = now_local()
    on_time = await client.recepcion_de(
        build_rde(DocSpec(numero=1, emitted=now - timedelta(hours=100), signed=now))[1]
    )
    assert on_time.result.code == "0260" and [m.code for m in on_time.result.messages] == ["0260"]
    late = await client.recepcion_de(
        build_rde(DocSpec(numero=2, emitted=now - timedelta(days=10), signed=now))[1]
    )
    assert late.result.status == "Aprobado con observación"
    assert [m.code for m in late.result.messages] == ["0260", "1005"]
    too_old = await client.recepcion_de(
        build_rde(DocSpec(numero=3, emitted=now - timedelta(days=31), signed=now))[1]
    )
    assert too_old.result.code == "1161" and not too_old.result.approved
    ahead = await client.recepcion_de(
        build_rde(DocSpec(numero=4, emitted=now + timedelta(days=6), signed=now))[1]
    )
    assert ahead.result.code == "1160" and not ahead.result.approved


CONTRIBUYENTE_WITH_ID_TYPE = (
    ("iNatRec", 1),
    ("iTiOpe", 1),
    ("cPaisRec", "PRY"),
    ("dDesPaisRe", "Paraguay"),
    ("iTiContRec", 2),
    ("dRucRec", "80013884"),
    ("dDVRec", 8),
    ("iTipIDRec", 1),
    ("dDTipIDRec", "Cédula paraguaya"),
    ("dNumIDRec", "1234567"),
    ("dNomRec", "Cliente Empresa S.R.L."),
)
B2F_WITH_ID_TYPE = (
    ("iNatRec", 2),
    ("iTiOpe", 4),
    ("cPaisRec", "ARG"),
    ("dDesPaisRe", "Argentina"),
    ("iTipIDRec", 2),
    ("dDTipIDRec", "Pasaporte"),
    ("dNumIDRec", "AA123456"),
    ("dNomRec", "Foreign Buyer"),
)
INNOMINADO_B2B = tuple((k, 1 if k == "iTiOpe" else v) for k, v in INNOMINADO_B2C)  # iTiOpe 1: B2B


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        (DocSpec(numero=1, receptor=CONTRIBUYENTE_WITH_ID_TYPE), "1322"),
        (DocSpec(numero=2, receptor=B2F_WITH_ID_TYPE), "1311"),
        (DocSpec(numero=3, receptor=INNOMINADO_B2B), "1319"),
        (DocSpec(numero=4, amount=60_000_000), "1321"),
        (DocSpec(numero=5, amount=59_999_950), "0260"),
        (DocSpec(numero=6, amount=60_000_000, tipo_transaccion=13), "0260"),
    ],
    ids=[
        "contribuyente-1322",
        "b2f-1311",
        "innominado-b2b-1319",
        "innominado-60M-1321",
        "below-limit",
        "muestras",
    ],
)
async def test_receptor_identification_rules(start_sim: StartSim, spec: DocSpec, code: str) -> None:
    # MT v150 group D2 / sifen-protocol.md §8.7: iTipIDRec is not sent for a contributor (1322) nor
    # in B2F (1311); innominado only in B2C (1319) and below 60 000 000 PYG unless iTipTra 13 (1321).
    client = (await start_sim()).client()
    result = (await client.recepcion_de(build_rde(spec)[1])).result
    assert result.code == code, result.messages


# ---------------------------------------------------------------- lotes


async def test_lote_of_50_is_received_polled_and_each_result_read(start_sim: StartSim) -> None:
    # MT v150 siRecepLoteDE/siResultLoteDE: 0300 with dProtConsLote, 0361 while processing, 0362
    running = await start_sim()
    await running.admin("PUT", "/admin/faults", {"rules": [{"kind": "lote_en_proceso", "polls": 1}]})
    client = running.client()
    docs = [build_rde(DocSpec(numero=n)) for n in range(1, 51)]
    received = await client.recepcion_lote([x for _, x in docs], d_id=77)
    assert_exchange_valid(received, Operation.RECEPCION_LOTE)
    assert received.result.accepted and received.result.code == "0300"
    number = received.result.lote_number
    assert number is not None
    first = await client.consulta_lote(number)
    assert_exchange_valid(first, Operation.CONSULTA_LOTE)
    assert first.result.in_process and first.result.code == "0361" and first.result.results == ()
    await running.sim.lotes.drain()
    final = await client.consulta_lote(number)
    assert_exchange_valid(final, Operation.CONSULTA_LOTE)
    assert final.result.concluded and final.result.code == "0362"
    assert [r.cdc for r in final.result.results] == [cdc for cdc, _ in docs]
    assert all(r.approved and r.code == "0260" and r.protocol for r in final.result.results)


async def test_lote_results_carry_each_rejection(start_sim: StartSim) -> None:
    running = await start_sim()
    client = running.client()
    good_cdc, good = build_rde(DocSpec(numero=1))
    bad_cdc, bad = build_rde(DocSpec(numero=2, break_dv=True))
    number = (await client.recepcion_lote([good, bad])).result.lote_number
    assert number is not None

    async def concluded() -> bool:
        return (await client.consulta_lote(number)).result.concluded

    await eventually(concluded)
    results = {r.cdc: r for r in (await client.consulta_lote(number)).result.results}
    assert results[good_cdc].approved
    assert results[bad_cdc].status == "Rechazado" and results[bad_cdc].code == "1003"


async def test_lote_with_cdc_still_in_process_is_0301(start_sim: StartSim) -> None:
    # MT v150: 0301 lote no encolado — here because one CDC is still in process in another lote
    running = await start_sim(SimSettings(lote_delay_seconds=60))
    client = running.client()
    _, rde = build_rde()
    assert (await client.recepcion_lote([rde])).result.accepted
    with pytest.raises(SifenRejection) as refused:
        await client.recepcion_lote([rde])
    assert refused.value.code == "0301" and refused.value.retryable
    assert b"0301" in refused.value.response_body


async def test_lote_with_mixed_types_is_0363(start_sim: StartSim) -> None:
    # MT v150: 0363 lote con tipos distintos de DE (the client refuses to build one; raw request here)
    running = await start_sim()
    _, fe = build_rde(DocSpec(numero=1, itide=1))
    _, nc = build_rde(DocSpec(numero=2, itide=5))
    content = (
        b"<?xml version='1.0' encoding='UTF-8'?><rLoteDE>"
        + b"".join(soap.strip_declaration(x) for x in (fe, nc))
        + b"</rLoteDE>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("lote.xml", content)
    body = (
        b'<rEnvioLote xmlns="http://ekuatia.set.gov.py/sifen/xsd"><dId>5</dId><xDE>'
        + base64.b64encode(buffer.getvalue())
        + b"</xDE></rEnvioLote>"
    )
    async with (
        aiohttp.ClientSession() as session,
        session.post(running.base_url + soap.PATHS[Operation.RECEPCION_LOTE], data=soap.wrap(body)) as r,
    ):
        received = soap.parse_response(await r.read(), Operation.RECEPCION_LOTE)
    assert received.code == "0300" and received.lote_number is not None
    await running.sim.lotes.drain()
    result = await running.client().consulta_lote(received.lote_number)
    assert result.result.code == "0363" and result.result.results == ()


async def test_unknown_lote_is_0360_result(start_sim: StartSim) -> None:
    running = await start_sim()
    call = await running.client().consulta_lote(424242)
    assert_exchange_valid(call, Operation.CONSULTA_LOTE)
    assert call.result.code == "0360"


# ---------------------------------------------------------------- consultas


async def test_consulta_de_returns_the_dte_and_its_events(start_sim: StartSim) -> None:
    # MT v150 siConsDE: 0422 with xContenDE (rDE + dProtAut + events), 0420 when unknown
    running = await start_sim()
    client = running.client()
    cdc, rde = build_rde()
    approved = (await client.recepcion_de(rde)).result
    cancel = await client.recepcion_evento([build_cancel_event(cdc, event_id=10)])
    assert cancel.result.results[0].code == "0600"
    call = await client.consulta_de(cdc)
    assert_exchange_valid(call, Operation.CONSULTA_DE)
    assert call.result.found and call.result.code == "0422"
    content = call.result.content
    assert content is not None and content.protocol == approved.protocol
    assert content.rde_xml is not None and f'Id="{cdc}"'.encode() in content.rde_xml
    assert len(content.events) == 1 and b"rGeVeCan" in content.events[0]
    other = "00" if cdc[-2:] != "00" else "01"  # never the same CDC
    missing = await client.consulta_de(cdc[:-2] + other)
    assert missing.result.code == "0420" and missing.result.content is None


async def test_consulta_ruc_found_0502_and_unknown_0500(start_sim: StartSim) -> None:
    # sifen-protocol.md §2.5: 0502 RUC encontrado with xContRUC; 0500 RUC no existe
    running = await start_sim()
    client = running.client()
    found = await client.consulta_ruc(f"{DEMO_RUC}-1")
    assert_exchange_valid(found, Operation.CONSULTA_RUC)
    assert found.result.found and found.result.contribuyente is not None
    assert found.result.contribuyente.ruc == DEMO_RUC
    assert found.result.contribuyente.estado_code == "ACT" and found.result.contribuyente.factura_electronica
    unknown = await client.consulta_ruc("1234567")
    assert_exchange_valid(unknown, Operation.CONSULTA_RUC)
    assert unknown.result.code == "0500" and unknown.result.contribuyente is None


async def test_invalid_envelope_is_refused_with_0160(start_sim: StartSim) -> None:
    running = await start_sim()
    envelope = soap.build_consulta_ruc(1, "80069563").replace(b"80069563", b"0ABC")
    async with aiohttp.ClientSession() as session:
        url = running.base_url + soap.PATHS[Operation.CONSULTA_RUC]
        async with session.post(url, data=envelope) as response:
            answer = soap.parse_response(await response.read(), Operation.CONSULTA_RUC)
        async with session.post(url, data=b"<env:Envelope><sin cerrar") as response:
            garbage = soap.parse_response(await response.read(), Operation.CONSULTA_RUC)
    assert answer.code == "0160" and "dRUCCons" in answer.message
    assert garbage.code == "0160"


# ---------------------------------------------------------------- events


async def test_cancel_within_48h_works_and_after_is_refused(start_sim: StartSim) -> None:
    # sifen-protocol.md §7.3: FE cancellation ≤ 48 h from approval (4009); one per CDC (4003)
    running = await start_sim()
    client = running.client()
    cdc_ok, rde_ok = build_rde(DocSpec(numero=1))
    cdc_late, rde_late = build_rde(DocSpec(numero=2))
    await client.recepcion_de(rde_ok)
    await client.recepcion_de(rde_late)
    ok = await client.recepcion_evento([build_cancel_event(cdc_ok, event_id=1)])
    assert_exchange_valid(ok, Operation.RECEPCION_EVENTO)
    assert ok.result.results[0].accepted and ok.result.results[0].protocol
    twice = await client.recepcion_evento([build_cancel_event(cdc_ok, event_id=2)])
    assert twice.result.results[0].code == "4003"
    status, _ = await running.admin("POST", "/admin/clock", {"advance_seconds": 49 * 3600})
    assert status == 200
    late = await client.recepcion_evento([build_cancel_event(cdc_late, event_id=3)])
    assert late.result.results[0].code == "4009" and not late.result.results[0].accepted


async def test_cancel_of_other_types_has_168h(start_sim: StartSim) -> None:
    # sifen-protocol.md §7.3: other DTE types ≤ 168 h (4010)
    running = await start_sim()
    client = running.client()
    cdc_a, nc_a = build_rde(DocSpec(numero=1, itide=5))
    cdc_b, nc_b = build_rde(DocSpec(numero=2, itide=5))
    assert (await client.recepcion_de(nc_a)).result.approved
    assert (await client.recepcion_de(nc_b)).result.approved
    await running.admin("POST", "/admin/clock", {"advance_seconds": 100 * 3600})
    assert (await client.recepcion_evento([build_cancel_event(cdc_a)])).result.results[0].code == "0600"
    await running.admin("POST", "/admin/clock", {"advance_seconds": 69 * 3600})
    assert (await client.recepcion_evento([build_cancel_event(cdc_b)])).result.results[0].code == "4010"


async def test_cancel_unknown_and_after_conformidad(start_sim: StartSim) -> None:
    running = await start_sim()
    client = running.client()
    cdc, rde = build_rde()
    unknown = await client.recepcion_evento([build_cancel_event(cdc)])
    assert unknown.result.results[0].code == "4001"
    await client.recepcion_de(rde)
    conf = await client.recepcion_evento([build_conformidad_event(cdc, event_id=4)])
    assert conf.result.results[0].code == "0600"
    refused = await client.recepcion_evento([build_cancel_event(cdc, event_id=5)])
    assert refused.result.results[0].code == "4004"


async def test_inutilizacion_of_a_range(start_sim: StartSim) -> None:
    # sifen-protocol.md §7.3: range ≤ 1000 (4067), end ≥ start (4068), no approved DTE (4065),
    # no number already inutilizado (4066); an inutilized number is then refused (1109)
    running = await start_sim()
    client = running.client()
    await client.recepcion_de(build_rde(DocSpec(numero=30))[1])
    ok = await client.recepcion_evento([build_inutilizacion_event(10, 20, event_id=1)])
    assert_exchange_valid(ok, Operation.RECEPCION_EVENTO)
    assert ok.result.results[0].code == "0600"
    used = await client.recepcion_de(build_rde(DocSpec(numero=15))[1])
    assert used.result.code == "1109"
    batch = await client.recepcion_evento(
        [
            build_inutilizacion_event(18, 25, event_id=2),
            build_inutilizacion_event(28, 35, event_id=3),
            build_inutilizacion_event(100, 1101, event_id=4),
            build_inutilizacion_event(50, 40, event_id=5),
            build_inutilizacion_event(1, 2, timbrado="99999999", event_id=6),
        ]
    )
    codes = {r.event_id: r.code for r in batch.result.results}
    assert codes == {"2": "4066", "3": "4065", "4": "4067", "5": "4068", "6": "4052"}


# ---------------------------------------------------------------- misc


async def test_wsdl_is_served_with_the_simulator_address(start_sim: StartSim) -> None:
    running = await start_sim()
    async with (
        aiohttp.ClientSession() as session,
        session.get(running.base_url + "/de/ws/sync/recibe.wsdl?wsdl") as response,
    ):
        text = await response.text()
    assert response.status == 200
    assert f'location="{running.base_url}/de/ws/sync/recibe.wsdl"' in text


async def test_admin_registry_validates_and_persists(start_sim: StartSim) -> None:
    running = await start_sim(register_demo=False)
    status, body = await running.admin(
        "POST", "/admin/contribuyentes", {"ruc": "80002201", "dv": "5", "razon_social": "X"}
    )
    assert status == 400 and body["code"] == "RUC_DV_INVALIDO" and body["path"].endswith(".dv")
    status, body = await running.admin(
        "POST",
        "/admin/contribuyentes",
        {"contribuyentes": [{"ruc": "80002201-7", "razon_social": "BANCO S.A."}]},
    )
    assert status == 201 and body["contribuyentes"][0]["dv"] == "7"
    found = await running.client().consulta_ruc("80002201")
    assert found.result.found and found.result.contribuyente.razon_social == "BANCO S.A."
    assert [c.ruc for c in running.sim.store.load_registry()] == ["80002201"]


async def test_admin_token_guards_admin_api(start_sim: StartSim) -> None:
    running = await start_sim(SimSettings(admin_token="t0k3n"))
    for wrong in ("", "t0k3", "t0k3n0"):
        status, body = await running.admin("GET", "/admin/faults", token=wrong)
        assert status == 401 and body["code"] == "NO_AUTORIZADO"
    status, _ = await running.admin("PUT", "/admin/faults", {"rules": []}, token="")
    assert status == 401
    async with (
        aiohttp.ClientSession(headers={"Authorization": "Bearer t0k3n"}) as session,
        session.get(running.base_url + "/admin/faults") as response,
    ):
        assert response.status == 200
    status, _ = await running.admin("GET", "/admin/health", token="")
    assert status == 200  # liveness only, nothing to guard


async def test_admin_api_requires_a_token_even_when_none_was_configured(
    start_sim: StartSim, tmp_path: Path
) -> None:
    """Without --admin-token the simulator makes one (kept in its data directory, mode 0600)."""
    running = await start_sim(SimSettings(data_dir=tmp_path / "sim"))
    for path in ("/admin/faults", "/admin/contribuyentes", "/admin/clock", f"/admin/documents/{'0' * 44}"):
        status, body = await running.admin("GET", path, token="")
        assert status == 401 and body["code"] == "NO_AUTORIZADO", path
    token_file = tmp_path / "sim" / "admin_token"
    assert token_file.read_text().strip() == running.sim.admin_token
    assert token_file.stat().st_mode & 0o077 == 0
    status, _ = await running.admin("GET", "/admin/faults")
    assert status == 200
    assert ensure_admin_token(tmp_path / "sim") == running.sim.admin_token  # the next run's


async def test_soap12_content_type_is_accepted(start_sim: StartSim) -> None:
    from sifenflow_common.sifen_client import SOAP12_CONTENT_TYPE

    running = await start_sim()
    call = await running.client(content_type=SOAP12_CONTENT_TYPE).consulta_ruc(DEMO_RUC)
    assert call.result.found


# ---------------------------------------------------------------- signature, certificate, QR


async def test_broken_signature_is_0141(start_sim: StartSim) -> None:
    # MT v150 §7.6 / code 0141: the signed DE was altered after signing (digest no longer matches)
    running = await start_sim()
    _, rde = build_rde()
    tampered = rde.replace(b"Producto de prueba", b"Producto alterado!")
    call = await running.client().recepcion_de(tampered)
    assert call.result.code == "0141" and call.result.status == "Rechazado"


async def test_signature_from_untrusted_ca_is_0123(start_sim: StartSim, tmp_path) -> None:
    # code 0123: signing certificate chain not from an enabled PSC (here: not the test CA)
    running = await start_sim()
    foreign = credentials_for(DEMO_RUC, tmp_path / "otra-ca")
    _, rde = build_rde(DocSpec(credentials=foreign))
    call = await running.client().recepcion_de(rde)
    assert call.result.code == "0123"


async def test_certificate_ruc_not_the_emisor_is_0142(start_sim: StartSim) -> None:
    # sifen-protocol.md §6.1: SIFEN compares the certificate RUC with dRucEm-dDVEmi (0142)
    running = await start_sim()
    _, unsigned = build_rde(DocSpec(sign=False))
    root = etree.fromstring(unsigned)
    for old in (root.find(f"{{{DSIG_NS}}}Signature"), root.find(f"{{{SIFEN_NS}}}gCamFuFD")):
        root.remove(old)
    sign_element(root.find(f"{{{SIFEN_NS}}}DE"), credentials_for("80002201"))  # another taxpayer
    signed = add_qr(etree.tostring(root), csc_id=DEMO_CSC_ID, csc=DEMO_CSC, environment="test")
    call = await running.client().recepcion_de(signed)
    assert call.result.code == "0142"


async def test_wrong_qr_hash_is_rejected(start_sim: StartSim) -> None:
    # MT v150 §13.8: cHashQR = SHA-256(data + CSC); a document made with another CSC is refused
    running = await start_sim()
    _, rde = build_rde(DocSpec(csc="EFGH0000000000000000000000000000"))
    call = await running.client().recepcion_de(rde)
    assert call.result.code == "2500" and "QR" in call.result.messages[0].message


async def test_cancel_signed_by_another_taxpayer_is_4006(start_sim: StartSim) -> None:
    # sifen-protocol.md §7.3: only the issuer may cancel (4006)
    running = await start_sim()
    client = running.client()
    cdc, rde = build_rde()
    assert (await client.recepcion_de(rde)).result.approved
    other = await client.recepcion_evento([build_cancel_event(cdc, credentials=credentials_for("80002201"))])
    assert other.result.results[0].code == "4006"


async def test_admin_rejects_bad_json_with_a_code(start_sim: StartSim) -> None:
    running = await start_sim()
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {running.sim.admin_token}"}) as session,
        session.post(running.base_url + "/admin/contribuyentes", data=b"{no es json") as response,
    ):
        body = await response.json()
    assert response.status == 400 and body["code"] == "JSON_INVALIDO"
    status, body = await running.admin("POST", "/admin/clock", {"advance_seconds": "mucho"})
    assert status == 400 and body["code"] == "RELOJ_INVALIDO"
    status, body = await running.admin("PUT", "/admin/faults", {"rules": [{"kind": "x"}]})
    assert status == 400 and body["path"] == "$.rules[0].kind"


async def test_lote_queried_after_48h_is_0364(start_sim: StartSim) -> None:
    # sifen-protocol.md §2.3: peers report 0364 "consulta extemporánea" (> 48 h); query by CDC then
    running = await start_sim()
    client: SifenPort = running.client()
    number = (await client.recepcion_lote([build_rde()[1]])).result.lote_number
    assert number is not None
    await running.sim.lotes.drain()
    await running.admin("POST", "/admin/clock", {"advance_seconds": 49 * 3600})
    late = await client.consulta_lote(number)
    assert late.result.code == "0364" and not late.result.concluded


async def test_lote_checked_in_a_worker_process_keeps_sifen_order(start_sim: StartSim) -> None:
    # lote_workers=1: pure checks (XSD, signature, CDC, registry, QR, totals) in another process,
    # duplicates and inutilizados in the simulator's; the first failing check in SIFEN's order wins
    running = await start_sim(SimSettings(lote_workers=1))
    client = running.client()
    approved_cdc, approved = build_rde(DocSpec(numero=1))
    assert (await client.recepcion_de(approved)).result.approved
    docs = {
        "new": build_rde(DocSpec(numero=2)),
        "dup": (approved_cdc, approved),  # 1001 (stateful, in this process)
        "dv": build_rde(DocSpec(numero=3, break_dv=True)),  # 1003 (pure, in the worker)
        "qr": build_rde(DocSpec(numero=4, csc="EFGH0000000000000000000000000000")),  # 2500
    }
    number = (await client.recepcion_lote([x for _, x in docs.values()])).result.lote_number
    assert number is not None
    await running.sim.lotes.drain()
    results = (await client.consulta_lote(number)).result.results
    assert [r.code for r in results] == ["0260", "1001", "1003", "2500"]


async def test_simulator_start_and_stop_are_idempotent(start_sim: StartSim) -> None:
    # an embedding app (make run) may start the simulator before the aiohttp app's lifecycle does
    running = await start_sim()
    await running.sim.start()
    number = (await running.client().recepcion_lote([build_rde()[1]])).result.lote_number
    assert number is not None
    await running.sim.lotes.drain()
    assert (await running.client().consulta_lote(number)).result.concluded
