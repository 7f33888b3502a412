"""Events API end to end: HTTP → gateway (rules) → signer (event XML + signature) → sender
(siRecepEvento) → simulator → event.accepted / document.cancelled → read model and webhooks.

Rules: MT v150 §11 (0600 evento registrado), 4009 (cancelación of an FE ≤ 48 h after approval),
4065/4067/4068 (inutilización), receptor events (notificación, conformidad, disconformidad,
desconocimiento); FacturaSend shapes (facturasend-api.md §2.8, §4.1 situacion 99 Cancelado)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from sifenflow_common.crypto import SecretBox
from sifenflow_common.db.pool import create_pool
from sifenflow_common.tenants.repository import TenantRepository
from sifenflow_common.testing import eventually
from sifenflow_common.testing.ports import free_port
from sifenflow_gateway.app import create_app, postgres_deps
from sifenflow_gateway.settings import GatewaySettings
from sifenflow_sender.sifen_adapter import EventSifenPort
from sifenflow_standalone.demo import DEMO_SLUG, demo_invoice, simulator_entry
from tests.e2e.lifecycle.stack import RECEPTOR_RUC, LifecycleE2E
from tests.e2e.pipeline.stack import bearer, statuses
from tests.fixtures.documents import load_fixture
from tests.fixtures.recibo_seed import seed_recibo
from tests.integration.lifecycle.support import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]


async def post(
    session: aiohttp.ClientSession, lc: LifecycleE2E, slug: str, path: str, body: Any
) -> tuple[int, dict[str, Any]]:
    tenant = lc.stack.tenants[slug]
    async with session.post(f"{lc.stack.url}/{tenant.slug}{path}", json=body, headers=bearer(tenant)) as r:
        return r.status, await r.json(content_type=None)


async def approved_invoice(session: aiohttp.ClientSession, lc: LifecycleE2E, **overrides: Any) -> str:
    status, body = await post(session, lc, DEMO_SLUG, "/de/create", demo_invoice(**overrides))
    assert status == 200, body
    [de] = body["deList"]
    if de["estado"] in ("Generado", "Enviado"):  # a loaded machine can outlast de/create's sync wait
        demo = lc.stack.tenants[DEMO_SLUG]

        async def approved() -> None:
            found = (await statuses(session, lc.stack, demo, [de["cdc"]]))[de["cdc"]]
            assert found["estado"] == "Aprobado", found

        await eventually(approved, timeout=60, interval=0.3)
    else:
        assert de["estado"] == "Aprobado", de
    return str(de["cdc"])


def to_receptor() -> dict[str, Any]:
    cliente = dict(demo_invoice()["cliente"], ruc=RECEPTOR_RUC, razonSocial="Receptor de prueba SA")
    return {"cliente": cliente}


async def test_cancel_within_the_window_ends_cancelado_and_notifies(lc: LifecycleE2E) -> None:
    receiver = await Receiver().start()
    try:
        async with aiohttp.ClientSession() as session:
            wanted = ["document.approved", "document.cancelled", "event.accepted"]
            status, sub = await post(
                session, lc, DEMO_SLUG, "/webhooks", {"url": receiver.url, "eventos": wanted}
            )
            assert status == 201, sub
            cdc = await approved_invoice(session, lc)
            status, body = await post(
                session, lc, DEMO_SLUG, "/evento/cancelacion", {"cdc": cdc, "motivo": "Error en la carga"}
            )
            assert status == 200, body
            assert body["success"] is True and body["cdc"] == cdc
            res = body["result"]["ns2:rRetEnviEventoDe"]["ns2:gResProcEVe"]
            assert res["ns2:dEstRes"] == "Aprobado" and res["ns2:gResProc"]["ns2:dCodRes"] == "0600"
            assert res["ns2:dProtAut"]

            async def cancelado() -> None:
                found = await statuses(session, lc.stack, lc.stack.tenants[DEMO_SLUG], [cdc])
                assert found[cdc]["estado"] == "Cancelado" and found[cdc]["situacion"] == 99, found[cdc]

            await eventually(cancelado, timeout=20, interval=0.2)

            status, again = await post(
                session, lc, DEMO_SLUG, "/evento/cancelacion", {"cdc": cdc, "motivo": "Otra vez por error"}
            )
            assert status == 409 and again["code"] in ("EVENTO_DUPLICADO", "DTE_NO_APROBADO"), again

        def notified() -> list[str]:
            types = [json.loads(r.body)["type"] for r in receiver.requests]
            assert {"document.approved", "document.cancelled", "event.accepted"} <= set(types), types
            return types

        types = await eventually(notified, timeout=30, interval=0.2)
        # one document's webhooks arrive in order: approved before cancelled
        assert types.index("document.approved") < types.index("document.cancelled")
    finally:
        await receiver.stop()


async def test_cancel_after_the_48_hour_window_is_refused_with_the_reason(lc: LifecycleE2E) -> None:
    async with aiohttp.ClientSession() as session:
        cdc = await approved_invoice(session, lc)
    # a gateway on the same database and broker whose clock is 49 h ahead (MT 4009: FE ≤ 48 h)
    settings = GatewaySettings(
        database_url=lc.env["DATABASE_URL"], bus_prefix=lc.prefix, master_key=lc.env["MASTER_KEY"]
    )
    pool = await create_pool(lc.env["DATABASE_URL"], min_size=1, max_size=4)
    later = datetime.now().astimezone() + timedelta(hours=49)
    deps = dataclasses.replace(postgres_deps(pool, settings), clock=lambda: later)
    client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings, deps), host="127.0.0.1"))
    await client.start_server()
    try:
        demo = lc.stack.tenants[DEMO_SLUG]
        response = await client.post(
            f"/{demo.slug}/evento/cancelacion",
            json={"cdc": cdc, "motivo": "Fuera de plazo"},
            headers=bearer(demo),
        )
        body = await response.json()
        assert response.status == 422, body
        assert body["success"] is False and body["code"] == "CANCELACION_FUERA_DE_PLAZO"
        assert "48 h" in body["error"] and "4009" in body["error"]
    finally:
        await client.close()
        await pool.close()


async def test_inutilizacion_of_a_range_and_refusal_of_an_approved_number(lc: LifecycleE2E) -> None:
    async with aiohttp.ClientSession() as session:
        body = {
            "tipoDocumento": 1, "establecimiento": "001", "punto": "001",
            "desde": 9000001, "hasta": 9000010, "motivo": "Números salteados por error del sistema",
        }  # fmt: skip
        status, reply = await post(session, lc, DEMO_SLUG, "/evento/inutilizacion", body)
        assert status == 200, reply
        res = reply["result"]["ns2:rRetEnviEventoDe"]["ns2:gResProcEVe"]
        assert reply["success"] is True and res["ns2:gResProc"]["ns2:dCodRes"] == "0600"

        status, again = await post(session, lc, DEMO_SLUG, "/evento/inutilizacion", body)
        assert status == 200 and again["success"] is False  # SIFEN: numbers already inutilizados (4066)
        assert (
            again["result"]["ns2:rRetEnviEventoDe"]["ns2:gResProcEVe"]["ns2:gResProc"]["ns2:dCodRes"]
            == "4066"
        )

        cdc = await approved_invoice(session, lc)
        number = int(cdc[17:24])
        status, refused = await post(
            session, lc, DEMO_SLUG, "/evento/inutilizacion", dict(body, desde=number, hasta=number + 1)
        )
        assert status == 409 and refused["code"] == "NUMERO_APROBADO_EN_RANGO", refused

        status, too_big = await post(
            session, lc, DEMO_SLUG, "/evento/inutilizacion", dict(body, hasta=9001001)
        )
        assert status == 422 and too_big["code"] == "RANGO_EXCEDE_1000", too_big


RECEPTOR = {"tipoReceptor": 1, "nombre": "Receptor de prueba SA", "ruc": RECEPTOR_RUC}
RECEPTOR_BODIES = {
    "notificacion": {**RECEPTOR, "totalPYG": 110000},
    "conformidad": {"tipoConformidad": 1},
    "confirmidad": {"tipoConformidad": 1},
    "disconformidad": {"motivo": "Mercadería con fallas"},
    "desconocimiento": {**RECEPTOR, "motivo": "No reconozco la compra"},
}


@pytest.mark.parametrize("kind", list(RECEPTOR_BODIES))
async def test_each_receptor_event_is_accepted(lc: LifecycleE2E, kind: str) -> None:
    async with aiohttp.ClientSession() as session:
        cdc = await approved_invoice(session, lc, **to_receptor())
        now = datetime.now().replace(microsecond=0)
        body: dict[str, Any] = {"cdc": cdc, **RECEPTOR_BODIES[kind]}
        body.setdefault("fechaEmision", (now - timedelta(minutes=5)).isoformat())
        body.setdefault("fechaRecepcion", now.isoformat())
        status, reply = await post(session, lc, "receptor", f"/evento/{kind}", body)
        assert status == 200, reply
        res = reply["result"]["ns2:rRetEnviEventoDe"]["ns2:gResProcEVe"]
        assert reply["success"] is True, reply
        assert res["ns2:dEstRes"] == "Aprobado" and res["ns2:gResProc"]["ns2:dCodRes"] == "0600"

        # the issuer cannot send a receptor event for its own invoice
        status, refused = await post(session, lc, DEMO_SLUG, f"/evento/{kind}", body)
        assert status == 422 and refused["code"] == "EVENTO_RECEPTOR_ES_EMISOR", refused


async def test_invoicing_cancel_and_unknown_cdc(lc: LifecycleE2E) -> None:
    demo = lc.stack.tenants[DEMO_SLUG]
    async with aiohttp.ClientSession() as session:
        cdc = await approved_invoice(session, lc)
        async with session.post(
            f"{lc.stack.url}/invoicing/events/cancel?company_id={demo.slug}",
            json={"cdc": cdc, "motivo": "Anulada por el cliente"},
            headers=bearer(demo),
        ) as r:
            body = await r.json()
        assert r.status == 200 and body["success"] is True, body
        unknown = "01800695631001001" + "9" * 27
        status, missing = await post(
            session, lc, DEMO_SLUG, "/evento/cancelacion", {"cdc": unknown, "motivo": "xxxxx"}
        )
        assert status == 404 and missing["code"] == "DOCUMENTO_NO_ENCONTRADO"


async def test_a_dead_webhook_receiver_does_not_delay_approvals(lc: LifecycleE2E) -> None:
    live = await Receiver().start()
    try:
        async with aiohttp.ClientSession() as session:
            for url in (f"http://127.0.0.1:{free_port()}/hook", live.url):
                status, sub = await post(
                    session, lc, DEMO_SLUG, "/webhooks", {"url": url, "eventos": ["document.approved"]}
                )
                assert status == 201, sub
            cdcs = [await approved_invoice(session, lc) for _ in range(3)]  # de/create answers Aprobado
            status, body = await post(
                session, lc, DEMO_SLUG, "/lote/create", [demo_invoice() for _ in range(10)]
            )
            assert status == 200, body
            lote = [d["cdc"] for d in body["deList"]]

            async def all_approved() -> None:
                found = await statuses(session, lc.stack, lc.stack.tenants[DEMO_SLUG], lote)
                assert [found[c]["estado"] for c in lote] == ["Aprobado"] * 10

            await eventually(all_approved, timeout=60, interval=0.3)

        def delivered() -> None:
            got = {json.loads(r.body)["data"]["cdc"] for r in live.requests}
            assert set(cdcs + lote) <= got

        await eventually(delivered, timeout=30, interval=0.2)
    finally:
        await live.stop()


async def test_ruc_and_de_consultas_answer_from_sifen(lc: LifecycleE2E) -> None:
    """siConsRUC (0502 found / 0500 unknown) and siConsDE (0422 found with the DTE / 0420)."""
    demo = lc.stack.tenants[DEMO_SLUG]
    async with aiohttp.ClientSession() as session:
        status, found = await post(session, lc, DEMO_SLUG, "/ruc/80069563", {})
        assert status == 200, found
        assert found["success"] is True and found["result"]["respuesta_codigo"] == "0502"
        assert found["result"]["estado_codigo"] == "ACT" and found["result"]["razon_social"]
        assert isinstance(found["result"]["facturador_electronico"], bool)
        status, again = await post(session, lc, DEMO_SLUG, "/ruc/80069563-1", {})  # DV tolerated, cached
        assert status == 200 and again["result"]["cache"] is True

        status, unknown = await post(session, lc, DEMO_SLUG, "/ruc/4444444", {})
        assert status == 200 and unknown["result"]["respuesta_codigo"] == "0500"
        assert "razon_social" not in unknown["result"]
        status, bad = await post(session, lc, DEMO_SLUG, "/ruc/abc", {})
        assert status == 400 and bad["code"] == "RUC_INVALIDO" and bad["errores"][0]["path"] == "path.ruc"

        cdc = await approved_invoice(session, lc)
        status, de = await post(session, lc, DEMO_SLUG, f"/dte/cdc/{cdc}", {})
        assert status == 200, de
        assert de["result"]["respuesta_codigo"] == "0422" and de["result"]["protocolo"]
        assert cdc in de["result"]["xml"]
        missing = "01800695631001001" + "9" * 27
        status, none = await post(session, lc, DEMO_SLUG, f"/dte/cdc/{missing}", {})
        assert status == 200 and none["result"]["respuesta_codigo"] == "0420"

        base = f"{lc.stack.url}/invoicing/consult"
        async with session.post(f"{base}/ruc?ruc=80069563&company_id={demo.slug}", headers=bearer(demo)) as r:
            body = await r.json()
            assert r.status == 200 and body["respuesta_codigo"] == "0502", body
        async with session.post(
            f"{base}/document?cdc={cdc}&company_id={demo.slug}", headers=bearer(demo)
        ) as r:
            body = await r.json()
            assert r.status == 200 and body["respuesta_codigo"] == "0422", body


async def test_a_numbering_gap_is_detected_and_voided_in_one_call(lc: LifecycleE2E) -> None:
    demo = lc.stack.tenants[DEMO_SLUG]

    async def gaps(session: aiohttp.ClientSession) -> list[dict[str, Any]]:
        async with session.get(f"{lc.stack.url}/{demo.slug}/numeracion/huecos", headers=bearer(demo)) as r:
            body = await r.json()
            assert r.status == 200, body
        [sequence] = [s for s in body["result"] if (s["punto"], s["tipoDocumento"]) == ("001", 1)]
        return list(sequence["huecos"])

    async with aiohttp.ClientSession() as session:
        cdc = await approved_invoice(session, lc, numero="5000")  # numbers below 5000 are skipped
        assert cdc[17:24] == "0005000"
        last = (await gaps(session))[-1]
        assert last["hasta"] == 4999 and last["motivo"] == "salteado", last

        body = {"establecimiento": "001", "punto": "001", "tipoDocumento": 1, "desde": 4990, "hasta": 4999}
        status, reply = await post(session, lc, DEMO_SLUG, "/numeracion/huecos/inutilizar", body)
        assert status == 200 and reply["success"] is True, reply

        async def voided() -> None:
            assert (await gaps(session))[-1]["hasta"] == 4989

        await eventually(voided, timeout=10, interval=0.2)
        status, refused = await post(
            session, lc, DEMO_SLUG, "/numeracion/huecos/inutilizar", dict(body, desde=4999, hasta=5000)
        )
        assert status == 409 and refused["code"] == "RANGO_NO_ES_HUECO", refused


async def test_a_company_reads_through_dte_cdc_only_the_dtes_it_is_party_to(lc: LifecycleE2E) -> None:
    """Simulated mode: the gateway names the calling company to the simulator, which answers as
    SIFEN for a RUC not party to the document (0421, no XML) — another company's signed XML is not
    readable through the consulta."""
    async with aiohttp.ClientSession() as session:
        to_consumer = await approved_invoice(session, lc)
        addressed = await approved_invoice(session, lc, **to_receptor())

        status, hidden = await post(session, lc, "receptor", f"/dte/cdc/{to_consumer}", {})
        assert status == 200, hidden
        assert hidden["result"]["respuesta_codigo"] == "0421" and "xml" not in hidden["result"], hidden
        status, visible = await post(session, lc, "receptor", f"/dte/cdc/{addressed}", {})
        assert status == 200 and visible["result"]["respuesta_codigo"] == "0422", visible
        assert addressed in visible["result"]["xml"]
        status, own = await post(session, lc, DEMO_SLUG, f"/dte/cdc/{to_consumer}", {})
        assert status == 200 and own["result"]["respuesta_codigo"] == "0422", own


async def test_sender_finds_its_own_registered_event_through_consulta_de(lc: LifecycleE2E) -> None:
    """The reconciliation behind a duplicate answer (4003): siConsDE lists the event by rEve Id."""
    async with aiohttp.ClientSession() as session:
        cdc = await approved_invoice(session, lc)
        status, body = await post(
            session, lc, DEMO_SLUG, "/evento/cancelacion", {"cdc": cdc, "motivo": "Duplicada"}
        )
        assert status == 200 and body["success"] is True, body
    res = body["result"]["ns2:rRetEnviEventoDe"]["ns2:gResProcEVe"]
    sifen_id = int(res["ns2:id"])
    pool = await create_pool(lc.env["DATABASE_URL"], min_size=1, max_size=2)
    try:
        tenants = TenantRepository(pool, SecretBox([lc.env["MASTER_KEY"]]), lc.stack.sim_url)
        demo = await tenants.get_by_slug(DEMO_SLUG)
        assert demo is not None
        async with aiohttp.ClientSession() as http:
            port = EventSifenPort(tenants, http)
            assert await port.registered_event(demo.id, cdc, sifen_id) == res["ns2:dProtAut"]
            assert await port.registered_event(demo.id, cdc, sifen_id + 100000) is None
    finally:
        await pool.close()


def remision() -> dict[str, Any]:
    """An NRE (iTiDE 7) from the engine's fixture, dated today."""
    data: dict[str, Any] = load_fixture("nre_transporte")["data"]
    today = datetime.now().date()
    data.pop("numero", None)
    data["fecha"] = datetime.now().replace(microsecond=0).isoformat()
    data["remision"] = dict(data["remision"], fechaFactura=today.isoformat())
    data["transporte"] = dict(
        data["transporte"],
        inicioEstimadoTranslado=today.isoformat(),
        finEstimadoTranslado=(today + timedelta(days=1)).isoformat(),
    )
    return data


async def test_nominacion_of_an_innominado_invoice_is_accepted(lc: LifecycleE2E) -> None:
    innominado = {
        "contribuyente": False, "razonSocial": "Sin Nombre", "tipoOperacion": 2,
        "documentoTipo": 5, "documentoNumero": "0", "pais": "PRY", "paisDescripcion": "Paraguay",
    }  # fmt: skip
    body = {
        "motivo": "Nominación del receptor innominado", "contribuyente": True, "tipoOperacion": 1,
        "tipoContribuyente": 2, "ruc": RECEPTOR_RUC, "razonSocial": "Receptor de prueba SA",
    }  # fmt: skip
    async with aiohttp.ClientSession() as session:
        cdc = await approved_invoice(session, lc, cliente=innominado)
        status, reply = await post(session, lc, DEMO_SLUG, "/evento/nominacion", {"cdc": cdc, **body})
        assert status == 200 and reply["success"] is True, reply
        named = await approved_invoice(session, lc)  # issued to a named receptor
        status, refused = await post(session, lc, DEMO_SLUG, "/evento/nominacion", {"cdc": named, **body})
        assert status == 422 and refused["code"] == "DTE_NO_INNOMINADO", refused


async def test_transport_update_of_a_remision_is_accepted(lc: LifecycleE2E) -> None:
    body = {
        "motivo": 2, "chofer": {"nombre": "Carlos Gómez", "documentoNumero": "2345678"},
        "transportista": {"naturaleza": 1, "ruc": "80002201-7", "nombre": "TRANSPORTES S.A."},
        "tipoTransporte": 2, "modalidad": 1,
        "vehiculo": {"tipo": "Camión", "marca": "Volvo", "documentoTipo": 2, "numeroMatricula": "ABC123"},
    }  # fmt: skip
    async with aiohttp.ClientSession() as session:
        status, created = await post(session, lc, DEMO_SLUG, "/de/create", remision())
        assert status == 200, created
        [de] = created["deList"]
        assert de["estado"] == "Aprobado", de
        status, reply = await post(
            session, lc, DEMO_SLUG, "/evento/actualizacion-transporte", {"cdc": de["cdc"], **body}
        )
        assert status == 200 and reply["success"] is True, reply
        invoice = await approved_invoice(session, lc)
        status, refused = await post(session, lc, DEMO_SLUG, "/evento/transporte", {"cdc": invoice, **body})
        assert status == 422 and refused["code"] == "EVENTO_SOLO_NRE", refused


async def register_demo_puntos(session: aiohttp.ClientSession, lc: LifecycleE2E, puntos: list[str]) -> None:
    entry = dict(simulator_entry())
    entry["timbrados"] = [dict(t, establecimientos={"001": puntos}) for t in entry["timbrados"]]
    async with session.post(
        f"{lc.stack.sim_url}/admin/contribuyentes", json=entry, headers=lc.stack.sim_admin
    ) as response:
        assert response.status == 201, await response.text()


async def test_a_rejected_number_is_inutilized_and_reads_inutilizado(lc: LifecycleE2E) -> None:
    """A DE rejected by SIFEN (1106 while the simulator does not list punto 001) leaves its number
    unused; inutilizing it (a "no_aprobado" gap) shows the document as Inutilizado (situacion 97)."""
    demo = lc.stack.tenants[DEMO_SLUG]
    async with aiohttp.ClientSession() as session:
        await register_demo_puntos(session, lc, ["003"])
        try:
            status, body = await post(session, lc, DEMO_SLUG, "/de/create", demo_invoice())
        finally:
            await register_demo_puntos(session, lc, ["001"])
        assert status == 200, body
        [de] = body["deList"]
        assert de["estado"] == "Rechazado" and de["respuesta_codigo"] == "1106", de
        number = int(de["cdc"][17:24])

        async with session.get(f"{lc.stack.url}/{demo.slug}/numeracion/huecos", headers=bearer(demo)) as r:
            sequences = (await r.json())["result"]
        gaps = [g for s in sequences if (s["punto"], s["tipoDocumento"]) == ("001", 1) for g in s["huecos"]]
        assert {"desde": number, "hasta": number, "cantidad": 1, "motivo": "no_aprobado"} in gaps, gaps

        request = {
            "establecimiento": "001",
            "punto": "001",
            "tipoDocumento": 1,
            "desde": number,
            "hasta": number,
        }
        status, reply = await post(session, lc, DEMO_SLUG, "/numeracion/huecos/inutilizar", request)
        assert status == 200 and reply["success"] is True, reply

        async def inutilizado() -> None:
            found = (await statuses(session, lc.stack, demo, [de["cdc"]]))[de["cdc"]]
            assert found["estado"] == "Inutilizado" and found["situacion"] == 97, found

        await eventually(inutilizado, timeout=20, interval=0.2)


async def test_recibo_cancelacion_is_recorded_by_us_and_never_reaches_sifen(lc: LifecycleE2E) -> None:
    """facturasend-api §2.4: a recibo digital is never sent to SIFEN. Its cancelación ends Cancelado
    with the event in its history and the webhooks, while a one-shot fault armed on the simulator's
    siRecepEvento stays unfired (nothing reached the simulator)."""
    receiver = await Receiver().start()
    sim, stack = lc.stack.sim_url, lc.stack
    tripwire = {"seed": 1, "rules": [{"kind": "latency", "operations": ["rEnviEventoDe"], "count": 1}]}
    try:
        async with aiohttp.ClientSession() as session:
            wanted = ["document.cancelled", "event.accepted"]
            status, sub = await post(
                session, lc, DEMO_SLUG, "/webhooks", {"url": receiver.url, "eventos": wanted}
            )
            assert status == 201, sub
            recibo = seed_recibo(fecha=demo_invoice()["fecha"], punto="001")
            status, body = await post(session, lc, DEMO_SLUG, "/recibo/create?xml=true", recibo)
            assert status == 200 and body["reciboList"][0]["xml"], body  # xml=true: signed
            cdc = body["reciboList"][0]["cdc"]
            demo = stack.tenants[DEMO_SLUG]
            async with session.put(f"{sim}/admin/faults", json=tripwire, headers=stack.sim_admin) as r:
                assert r.status == 200, await r.text()
            try:

                async def cancelled_once_approved() -> dict[str, Any]:
                    # reads Aprobado from acceptance on; the cancelación waits for document.approved,
                    # which the sender records right after the signature
                    motivo = {"cdc": cdc, "motivo": "Recibo duplicado"}
                    status, body = await post(session, lc, DEMO_SLUG, "/evento/cancelacion", motivo)
                    assert status == 200 and body["success"] is True, body
                    return body

                body = await eventually(cancelled_once_approved, timeout=30, interval=0.3)
                res = body["result"]["ns2:rRetEnviEventoDe"]["ns2:gResProcEVe"]
                assert res["ns2:gResProc"]["ns2:dCodRes"] == "0600" and "ns2:dProtAut" not in res, res
                assert "no se envía a SIFEN" in res["ns2:gResProc"]["ns2:dMsgRes"]

                async def cancelado() -> None:
                    found = (await statuses(session, stack, demo, [cdc]))[cdc]
                    assert found["estado"] == "Cancelado" and found["situacion"] == 99, found

                await eventually(cancelado, timeout=20, interval=0.2)
                async with session.get(f"{sim}/admin/faults", headers=stack.sim_admin) as r:
                    [rule] = (await r.json())["rules"]
                assert rule["count"] == 1, rule  # the simulator saw no event request
                async with session.get(f"{sim}/admin/documents/{cdc}", headers=stack.sim_admin) as r:
                    assert r.status == 404  # nor the recibo itself
            finally:
                async with session.delete(f"{sim}/admin/faults", headers=stack.sim_admin) as r:
                    assert r.status in (200, 204)
            status, again = await post(
                session, lc, DEMO_SLUG, "/evento/cancelacion", {"cdc": cdc, "motivo": "Otra vez por error"}
            )
            assert status == 409 and again["code"] == "EVENTO_DUPLICADO", again

        def notified() -> None:
            found = {
                (e["type"], e.get("data", {}).get("cdc"))
                for e in (json.loads(r.body) for r in receiver.requests)
            }
            assert {("event.accepted", cdc), ("document.cancelled", cdc)} <= found, found

        await eventually(notified, timeout=30, interval=0.2)
    finally:
        await receiver.stop()
