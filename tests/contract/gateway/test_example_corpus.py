"""The example corpus: every example request of the product's documents (``../shared/docs/seed-examples``,
kept verbatim in tests/fixtures/facturasend_examples/seed) and of the FacturaSend API reference, posted
to the live product as an integrator copies it, dates moved to today: once to ``sifenflow run``
(gateway, pipeline, SIFEN simulator in one process) and once to the multi-process deployment. Each
ends Aprobado; where SIFEN needs data the example leaves out (the DNCP contract of a B2G sale, MT v150
E020/E704; the transport of a remisión, E10), the example as written gets one 400 naming every
missing field and the example completed with that data is Aprobado.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from sifenflow_standalone.demo import demo_invoice
from tests.contract.gateway.fs_client import EXAMPLES, SHARED_SEED, call, example, now_py
from tests.e2e.pipeline.stack import Stack, processes_stack

pytestmark = [pytest.mark.contract, pytest.mark.asyncio(loop_scope="session"), pytest.mark.timeout(180)]

INVOICING = "/invoicing/emit/{kind}?company_id=demo"
DNCP = {"modalidad": "LP", "entidad": 12345, "año": 26, "secuencia": 1234567, "fecha": "2026-03-01"}
ITEM_DNCP = {"codigoNivelGeneral": "56101504", "codigoNivelEspecifico": "001"}
# What SIFEN requires of a remisión beyond the example (its `cliente` is elided as `{...}`)
REMISION_DATA: dict[str, Any] = {
    "cliente": {
        "ruc": "80009735-1",
        "razonSocial": "ANDE",
        "tipoContribuyente": 2,
        "direccion": "Av. España",
        "numeroCasa": "1234",
        "ciudad": "Asunción",
    },
    "remision": {"kms": 370},
    "transporte": {
        "tipo": 1,
        "modalidad": 1,
        "tipoResponsable": 1,
        "salida": {"direccion": "Depósito Central", "numeroCasa": "10", "ciudad": "asuncion"},
        "entrega": {"direccion": "Sucursal Encarnación", "numeroCasa": "20", "ciudad": "ENCARNACIÓN"},
        "vehiculo": {"tipo": "Camión", "marca": "Volvo", "documentoTipo": 2, "numeroMatricula": "ABC123"},
        "transportista": {
            "contribuyente": True,
            "nombre": "Transportes del Sur S.A.",
            "ruc": "80002201-7",
            "direccion": "Ruta 1 km 20",
            "chofer": {"documentoNumero": "2345678", "nombre": "Carlos Gómez", "direccion": "San Lorenzo"},
        },
    },
}
REMISION_MISSING = {
    "cliente.direccion",
    "cliente.numeroCasa",
    "cliente.ciudad",
    "remision.kms",
    "transporte.tipo",
    "transporte.modalidad",
    "transporte.tipoResponsable",
    "transporte.salida.direccion",
    "transporte.salida.numeroCasa",
    "transporte.salida.ciudad",
    "transporte.entrega.direccion",
    "transporte.entrega.numeroCasa",
    "transporte.entrega.ciudad",
    "transporte.vehiculo.tipo",
    "transporte.vehiculo.marca",
    "transporte.vehiculo.documentoTipo",
    "transporte.transportista.contribuyente",
    "transporte.transportista.nombre",
    "transporte.transportista.direccion",
    "transporte.transportista.chofer.documentoNumero",
    "transporte.transportista.chofer.nombre",
    "transporte.transportista.chofer.direccion",
}


def seed(name: str) -> Any:
    text = (EXAMPLES / "seed" / name).read_text(encoding="utf-8")
    return json.loads(re.sub(r"\{\s*\.\.\.\s*\}", "{}", text))  # the `{...}` the source elides


def approved_emit(status: int, body: Any) -> None:
    """The seed's emit answer: SIFEN's rRetEnviDe as JSON plus cdc, qr_url, xml_signed."""
    assert status == 200, body
    assert body["ns2:rRetEnviDe"]["ns2:rProtDe"]["ns2:dEstRes"] == "Aprobado", body
    assert body["ns2:rRetEnviDe"]["ns2:rProtDe"]["ns2:gResProc"]["ns2:dCodRes"] == "0260"
    assert body["estado"] == "Aprobado" and re.fullmatch(r"\d{44}", body["cdc"])
    assert body["qr_url"].startswith("https://ekuatia.set.gov.py/") and body["xml_signed"].startswith("<")


async def invoice_example(session: aiohttp.ClientSession, live: Stack) -> None:
    as_written = seed("invoicing-emit-invoice.json")
    status, body = await call(session, live, "POST", INVOICING.format(kind="invoice"), as_written)
    assert status == 400, body
    assert {(e["code"], e["path"]) for e in body["errores"]} == {
        ("DNCP_REQUERIDO", "dncp"),
        ("DNCP_REQUERIDO", "items[0].dncp"),
    }
    assert "data." not in body["error"]  # the paths named are those of the simple body
    completed = dict(as_written, dncp=DNCP)
    completed["items"] = [dict(item, dncp=ITEM_DNCP) for item in as_written["items"]]
    status, body = await call(session, live, "POST", INVOICING.format(kind="invoice"), completed)
    approved_emit(status, body)
    assert body["cdc"].startswith("01")
    # the address names no city: it is left out of the XML, and the answer says so
    assert {(w["code"], w["path"]) for w in body["warnings"]} == {
        ("DIRECCION_SIN_CIUDAD", "cliente.direccion"),
        ("DIRECCION_SIN_CIUDAD", "cliente.numeroCasa"),
    }
    assert "<gCompPub><dModCont>LP</dModCont>" in body["xml_signed"]  # MT v150 E020


async def remision_example(session: aiohttp.ClientSession, live: Stack) -> None:
    as_written = seed("invoicing-emit-remision.partial.txt")
    status, body = await call(session, live, "POST", INVOICING.format(kind="remision"), as_written)
    assert status == 400, body
    assert {e["code"] for e in body["errores"]} == {"CAMPO_REQUERIDO"}
    assert {e["path"] for e in body["errores"]} == REMISION_MISSING
    status, body = await call(
        session, live, "POST", INVOICING.format(kind="remision"), dict(as_written, **REMISION_DATA)
    )
    approved_emit(status, body)
    assert body["cdc"].startswith("07")
    xml = body["xml_signed"]
    assert "<cCiuRec>1</cCiuRec>" in xml and "<cCiuEnt>2226</cCiuEnt>" in xml  # cities given by name


async def cancel_example(session: aiohttp.ClientSession, live: Stack) -> None:
    status, created = await call(session, live, "POST", "/{t}/de/create", demo_invoice(fecha=now_py()))
    assert status == 200 and created["deList"][0]["estado"] == "Aprobado", created
    request = seed("invoicing-events-cancel.json")
    request["cdc"] = created["deList"][0]["cdc"]  # the example's CDC is of another emisor
    status, body = await call(session, live, "POST", "/invoicing/events/cancel?company_id=demo", request)
    assert status == 200, body
    answer = body["result"]["ns2:rRetEnviEventoDe"]["ns2:gResProcEVe"]
    assert answer["ns2:dEstRes"] == "Aprobado", body
    assert answer["ns2:gResProc"]["ns2:dCodRes"] == "0600"


async def de_create_example(session: aiohttp.ClientSession, live: Stack) -> None:
    document = example("facturasend_api/de-create.json")
    document["fecha"] = now_py()
    status, body = await call(session, live, "POST", "/{t}/de/create?xml=true&qr=true&tax=true", document)
    assert status == 200, body
    [de] = body["deList"]
    assert (de["estado"], de["respuesta_codigo"]) == ("Aprobado", "0260"), de
    assert de["dIVA10"] == 10309 and de["dIVA5"] == 1743  # 113400/11 and 36600/21, MT v150 §11.3


async def recibo_example(session: aiohttp.ClientSession, live: Stack) -> None:
    as_written = dict(seed("recibo-create.json"), fecha=now_py())
    status, body = await call(session, live, "POST", "/{t}/recibo/create?xml=true", as_written)
    assert status == 400, body  # punto 1017 has 4 digits; the CDC holds 3 (MT v150 §10.1)
    assert [e["path"].rsplit(".", 1)[-1] for e in body["errores"]] == ["punto"], body
    status, body = await call(
        session, live, "POST", "/{t}/recibo/create?xml=true", dict(as_written, punto="001")
    )
    assert status == 200, body
    [recibo] = body["reciboList"]
    assert recibo["estado"] == "Aprobado" and recibo["cdc"].startswith("55")
    assert "371000" in recibo["xml"] and body["warnings"]  # total recalculated from the associated documents


Case = Callable[[aiohttp.ClientSession, Stack], Awaitable[None]]
CASES: dict[str, Case] = {
    "seed/invoicing-emit-invoice.json": invoice_example,
    "seed/invoicing-emit-remision.partial.txt": remision_example,
    "seed/invoicing-events-cancel.json": cancel_example,
    "seed/recibo-create.json": recibo_example,
    "facturasend_api/de-create.json": de_create_example,
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_example_request_is_approved(live: Stack, name: str) -> None:
    async with aiohttp.ClientSession() as session:
        await CASES[name](session, live)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scaled(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The multi-process deployment: every service its own process on RabbitMQ and PostgreSQL."""
    async with processes_stack(tmp_path_factory.mktemp("corpus-processes")) as running:
        yield running


@pytest.mark.parametrize("name", sorted(CASES))
async def test_example_request_is_approved_by_the_multi_process_deployment(scaled: Stack, name: str) -> None:
    async with aiohttp.ClientSession() as session:
        await CASES[name](session, scaled)


async def test_every_seed_example_is_in_the_corpus_and_kept_verbatim() -> None:
    kept = sorted(p.name for p in (EXAMPLES / "seed").iterdir())
    assert kept == [
        "invoicing-emit-invoice.json",
        "invoicing-emit-remision.partial.txt",
        "invoicing-events-cancel.json",
        "recibo-create.json",
    ]
    if SHARED_SEED.is_dir():  # the maintainers' checkout: the copies are the documents' own examples
        shared = sorted(p.name for p in SHARED_SEED.iterdir() if p.name != "README.md")
        assert shared == kept
        for name in kept:
            assert (EXAMPLES / "seed" / name).read_bytes() == (SHARED_SEED / name).read_bytes(), name
