"""Every documented response of the FacturaSend API reference (facturasend-api.md §2, and the seed's
/invoicing answers of §5.3), read from the live product over HTTP the way a FacturaSend client parses
it: key names, JSON types and nesting (fs_client.conforms), dates in Paraguay time with offset and whole
seconds, `estado` labels as documented (§4.1)."""

from __future__ import annotations

import base64
import re
from typing import Any

import aiohttp
import pytest

from sifenflow_common.testing import eventually
from sifenflow_standalone.demo import demo_invoice
from tests.contract.gateway.fs_client import CDC, NUMERO, PY_DATETIME, call, conforms, now_py
from tests.e2e.pipeline.stack import Stack

pytestmark = [pytest.mark.contract, pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(180)]

DE_ENTRY = {"cdc": CDC, "numero": NUMERO, "estado": str, "id": int}
SIFEN_ANSWER = {"respuesta_codigo": str, "respuesta_mensaje": str}
ESTADO_ENTRY = {"cdc": CDC, "numero": NUMERO, "estado": str, "situacion": int}


def parses(value: Any, shape: Any) -> None:
    problems = conforms(value, shape)
    assert not problems, problems


async def approved_cdc(session: aiohttp.ClientSession, live: Stack) -> str:
    status, body = await call(session, live, "POST", "/{t}/de/create", demo_invoice(fecha=now_py()))
    assert status == 200 and body["deList"][0]["estado"] == "Aprobado", body
    return str(body["deList"][0]["cdc"])


async def estados(session: aiohttp.ClientSession, live: Stack, cdcs: list[str]) -> dict[str, Any]:
    status, body = await call(
        session, live, "POST", "/{t}/de/estado", {"cdcList": [{"cdc": c} for c in cdcs]}
    )
    assert status == 200, body
    parses(body, {"success": bool, "deList": [ESTADO_ENTRY]})
    return {d["cdc"]: d for d in body["deList"]}


async def test_liveness_and_key_check(live: Stack) -> None:  # §1, §2.1 #1-2
    async with aiohttp.ClientSession() as session:
        status, text = await call(session, live, "GET", "/test", auth=False)
        assert status == 200 and isinstance(text, str) and text.strip()
        status, body = await call(session, live, "GET", "/{t}/test")
        assert status == 200
        parses(body, {"success": bool})
        status, body = await call(session, live, "GET", "/{t}/test", auth=False)
        assert status == 401
        parses(body, {"success": bool, "error": str})
        assert body["success"] is False


async def test_de_create_answer(live: Stack) -> None:  # §2.3
    async with aiohttp.ClientSession() as session:
        status, body = await call(
            session, live, "POST", "/{t}/de/create?xml=true&qr=true&tax=true", demo_invoice(fecha=now_py())
        )
    assert status == 200, body
    entry = {**DE_ENTRY, **SIFEN_ANSWER, "xml": str, "qr": str, "dIVA5": float, "dIVA10": float}
    parses(
        body,
        {"success": bool, "deList": [entry], "loteId": int, "result": {"deList": [entry], "loteId": int}},
    )
    [de] = body["deList"]
    assert (de["estado"], de["respuesta_codigo"]) == ("Aprobado", "0260")
    assert de["qr"].startswith("https://ekuatia.set.gov.py/consultas") and de["xml"].startswith("<")


async def test_draft_lote_confirm_and_estado(live: Stack) -> None:  # §2.2, §2.5, §4.1
    async with aiohttp.ClientSession() as session:
        docs = [demo_invoice(fecha=now_py()) for _ in range(2)]
        status, body = await call(
            session, live, "POST", "/{t}/lote/create?draft=true&xml=true&qr=true&tax=true", docs
        )
        assert status == 200, body
        parses(
            body, {"success": bool, "deList": [{**DE_ENTRY, "dIVA5": float, "dIVA10": float}], "loteId": int}
        )
        assert {d["estado"] for d in body["deList"]} == {"Borrador"}
        cdcs = [d["cdc"] for d in body["deList"]]
        status, confirmed = await call(session, live, "POST", f"/{{t}}/lote/draft-confirm/{body['loteId']}")
        assert status == 200, confirmed
        parses(confirmed, {"success": bool, "deList": [DE_ENTRY], "loteId": int})

        async def all_approved() -> dict[str, Any]:
            found = await estados(session, live, cdcs)
            assert {d["estado"] for d in found.values()} == {"Aprobado"}, found
            return found

        found = await eventually(all_approved, timeout=60, interval=0.5)
    for entry in found.values():
        parses(entry, {**ESTADO_ENTRY, **SIFEN_ANSWER, "fecha": PY_DATETIME})
        assert entry["situacion"] == 2


async def test_rejected_draft_reads_discarded(live: Stack) -> None:  # §2.1 #6, §4.1
    async with aiohttp.ClientSession() as session:
        status, body = await call(
            session, live, "POST", "/{t}/lote/create?draft=true", [demo_invoice(fecha=now_py())]
        )
        assert status == 200, body
        cdc = body["deList"][0]["cdc"]
        status, rejected = await call(session, live, "POST", f"/{{t}}/lote/draft-reject/{body['loteId']}")
        assert status == 200, rejected
        parses(rejected, {"success": bool, "deList": [DE_ENTRY], "loteId": int})
        assert rejected["deList"][0]["estado"] == "Descartado"
        assert (await estados(session, live, [cdc]))[cdc]["estado"] == "Descartado"
        status, record = await call(session, live, "GET", f"/{{t}}/de/cdc/{cdc}")
    assert status == 200, record
    assert (record["result"]["estado"], record["result"]["is_borrado"]) == ("Descartado", 1)


async def test_de_by_cdc_and_by_id(live: Stack) -> None:  # §2.5
    async with aiohttp.ClientSession() as session:
        cdc = await approved_cdc(session, live)
        status, by_cdc = await call(session, live, "GET", f"/{{t}}/de/cdc/{cdc}")
        assert status == 200, by_cdc
        status, by_id = await call(session, live, "GET", f"/{{t}}/de/id/{by_cdc['result']['id']}")
        assert status == 200, by_id
    record = {
        "id": int,
        "fecha": PY_DATETIME,
        "rde": {"rDE": {"$": {"xmlns": str}, "dVerFor": str, "DE": {"$": {"Id": str}, "gTimb": dict}}},
        "situacion": int,
        "is_conectado": int,
        "is_borrado": int,
        "lote_id": int,
        "info_codigo": str,
        "info_descripcion": str,
    }
    for body in (by_cdc, by_id):
        parses(body, {"success": bool, "result": record})
        rde = body["result"]["rde"]["rDE"]
        assert rde["DE"]["$"]["Id"] == cdc and rde["$"]["xmlns"] == "http://ekuatia.set.gov.py/sifen/xsd"
        assert rde["Signature"]["$"]["xmlns"] == "http://www.w3.org/2000/09/xmldsig#"
        assert isinstance(rde["DE"]["gDtipDE"]["gCamItem"], dict | list)
        assert body["result"]["situacion"] == 2 and body["result"]["info_codigo"] == "0260"


async def test_downloads_and_email(live: Stack) -> None:  # §2.6
    async with aiohttp.ClientSession() as session:
        cdc = await approved_cdc(session, live)
        status, xml = await call(session, live, "GET", f"/{{t}}/de/xml/{cdc}")
        assert status == 200 and isinstance(xml, str) and f'Id="{cdc}"' in xml
        status, as_json = await call(session, live, "GET", f"/{{t}}/de/xml/{cdc}?json=true")
        assert status == 200, as_json
        parses(as_json, {"success": bool, "result": {"rde": {"rDE": {"DE": {"$": {"Id": str}}}}}})
        assert as_json["result"]["rde"]["rDE"]["DE"]["$"]["Id"] == cdc
        status, pdf = await call(
            session, live, "POST", "/{t}/de/pdf", {"cdcList": [{"cdc": cdc}], "type": "base64"}
        )
        assert status == 200 and isinstance(pdf, str)
        assert base64.b64decode(pdf).startswith(b"%PDF")
        status, sent = await call(session, live, "POST", "/{t}/de/email", {"cdcList": [{"cdc": cdc}]})
    assert status == 200 and sent["success"] is True


async def test_sifen_consultas(live: Stack) -> None:  # §2.7
    async with aiohttp.ClientSession() as session:
        cdc = await approved_cdc(session, live)
        status, ruc = await call(session, live, "POST", "/{t}/ruc/80069563")
        assert status == 200, ruc
        status, dte = await call(session, live, "POST", f"/{{t}}/dte/cdc/{cdc}")
        assert status == 200, dte
    parses(
        ruc,
        {
            "success": bool,
            **SIFEN_ANSWER,
            "razon_social": str,
            "estado_codigo": str,
            "estado_mensaje": str,
            "facturador_electronico": bool,
        },
    )
    assert (ruc["respuesta_codigo"], ruc["estado_codigo"]) == ("0502", "ACT")
    parses(
        dte, {"success": bool, "fecha": PY_DATETIME, "respuesta_codigo": str, "xml": str, "protocolo": str}
    )
    assert dte["respuesta_codigo"] == "0422"


async def test_cancelacion_event(live: Stack) -> None:  # §2.8
    async with aiohttp.ClientSession() as session:
        cdc = await approved_cdc(session, live)
        status, body = await call(
            session,
            live,
            "POST",
            "/{t}/evento/cancelacion",
            {"cdc": cdc, "motivo": "Error en datos del cliente"},
        )
        assert status == 200, body
        parses(
            body,
            {
                "success": bool,
                "cdc": CDC,
                "result": {
                    "ns2:rRetEnviEventoDe": {
                        "ns2:dFecProc": PY_DATETIME,
                        "ns2:gResProcEVe": {
                            "ns2:dEstRes": str,
                            "ns2:dProtAut": str,
                            "ns2:gResProc": {"ns2:dCodRes": str, "ns2:dMsgRes": str},
                        },
                    }
                },
            },
        )
        assert body["result"]["ns2:rRetEnviEventoDe"]["ns2:gResProcEVe"]["ns2:dEstRes"] == "Aprobado"

        async def cancelled() -> None:
            assert (await estados(session, live, [cdc]))[cdc]["estado"] == "Cancelado"

        await eventually(cancelled, timeout=30, interval=0.5)


async def test_catalogs_and_system(live: Stack) -> None:  # §2.9
    async with aiohttp.ClientSession() as session:
        answers = {
            path: await call(session, live, "GET", path)
            for path in (
                "/{t}/departamentos",
                "/{t}/distritos/NULL?nombre=bahia",
                "/{t}/ciudades/NULL?nombre=asuncion",
                "/{t}/system/backend/params",
            )
        }
        info_status, info = await call(session, live, "GET", "/system/backend/info", auth=False)
    assert all(status == 200 for status, _ in answers.values()), answers
    departamento = {"codigo": int, "descripcion": str}
    distrito = {**departamento, "departamento": departamento}
    parses(answers["/{t}/departamentos"][1], {"success": bool, "result": [departamento]})
    parses(answers["/{t}/distritos/NULL?nombre=bahia"][1], {"success": bool, "result": [distrito]})
    ciudades = answers["/{t}/ciudades/NULL?nombre=asuncion"][1]
    parses(ciudades, {"success": bool, "result": [{**departamento, "distrito": distrito}]})
    params = {
        "ruc": re.compile(r"^\d+-\d$"),
        "razonSocial": str,
        "timbradoNumero": str,
        "timbradoFecha": str,
        "tipoContribuyente": int,
        "establecimientos": [{"codigo": str}],
        "actividadesEconomicas": [{"codigo": str, "descripcion": str}],
        "version": int,
    }
    config = {"errorLimit": int, "decimals": int, "taxDecimals": int, "pygDecimals": int, "test": bool}
    parses(
        answers["/{t}/system/backend/params"][1],
        {"success": bool, "result": {"params": params, "configSetApi": config}},
    )
    assert info_status == 200
    parses(info, {"success": bool, "dependencies": dict})


async def test_recibo_answer(live: Stack) -> None:  # §2.4
    recibo = {
        "fecha": now_py(),
        "establecimiento": "001",
        "punto": "001",
        "concepto": "Cuota 1 de 3",
        "total": 150000,
        "cliente": {
            "contribuyente": False,
            "razonSocial": "CONSUMIDOR FINAL",
            "documentoTipo": 5,
            "tipoOperacion": 2,
        },
    }
    async with aiohttp.ClientSession() as session:
        status, body = await call(session, live, "POST", "/{t}/recibo/create?xml=true", recibo)
    assert status == 200, body
    parses(body, {"success": bool, "reciboList": [{**DE_ENTRY, **SIFEN_ANSWER, "xml": str}]})
    [entry] = body["reciboList"]
    assert entry["cdc"].startswith("55") and entry["estado"] == "Aprobado"


async def test_invoicing_answers(live: Stack) -> None:  # §5.3 (the seed's /invoicing responses)
    body = {
        "cliente": {
            "ruc": "80069563-1",
            "razonSocial": "Cliente SA",
            "tipoContribuyente": 2,
            "tipoOperacion": 1,
        },
        "items": [
            {"codigo": "A", "descripcion": "Servicio", "cantidad": 1, "precioUnitario": 110000, "ivaTipo": 10}
        ],
    }
    async with aiohttp.ClientSession() as session:
        status, companies = await call(session, live, "GET", "/invoicing/companies")
        assert status == 200
        parses(companies, [{"id": str, "name": str, "ruc": str, "business_name": str}])
        status, emitted = await call(session, live, "POST", "/invoicing/emit/invoice?company_id=demo", body)
        assert status == 200, emitted
        status, ruc = await call(session, live, "POST", "/invoicing/consult/ruc?ruc=80069563&company_id=demo")
        assert status == 200, ruc
    reply = {
        "ns2:rRetEnviDe": {
            "ns2:rProtDe": {
                "ns2:dEstRes": str,
                "ns2:dProtAut": str,
                "ns2:gResProc": {"ns2:dCodRes": str, "ns2:dMsgRes": str},
            }
        },
        "cdc": CDC,
        "qr_url": str,
        "xml_signed": str,
    }
    parses(emitted, reply)
    assert emitted["ns2:rRetEnviDe"]["ns2:rProtDe"]["ns2:dEstRes"] == "Aprobado"
    contribuyente = {
        "ns2:dRUC": re.compile(r"^\d+-\d$"),
        "ns2:dRazSoc": str,
        "ns2:dNomFan": str,
        "ns2:dEstRUC": str,
    }
    parses(
        ruc,
        {
            "ns2:rResEnviConsRUC": {"ns2:xContRUC": contribuyente},
            "razon_social": str,
            "respuesta_codigo": str,
        },
    )
    assert ruc["ns2:rResEnviConsRUC"]["ns2:xContRUC"]["ns2:dRUC"] == "80069563-1"
    assert ruc["ns2:rResEnviConsRUC"]["ns2:xContRUC"]["ns2:dEstRUC"] == "Activo"
