"""The client against odd but real server behaviour (sifen-protocol.md §1.3): a SOAP answer with a
non-200 status is still an answer; a SOAP Sender fault carrying a SIFEN code is a rejection."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
import pytest_asyncio
from aiohttp import web

from sifenflow_common.sifen import soap
from sifenflow_common.sifen_client import SifenClient, SifenClientConfig, SifenRejection

pytestmark = pytest.mark.contract

RUC_ANSWER = (
    b'<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope">'
    b'<env:Body><ns2:rResEnviConsRUC xmlns:ns2="http://ekuatia.set.gov.py/sifen/xsd">'
    b"<ns2:dCodRes>0500</ns2:dCodRes><ns2:dMsgRes>RUC no existe</ns2:dMsgRes></ns2:rResEnviConsRUC>"
    b"</env:Body></env:Envelope>"
)


@pytest_asyncio.fixture(loop_scope="function")
async def serve_fixed() -> AsyncIterator[Callable[[int, bytes], object]]:
    runners: list[web.AppRunner] = []

    async def start(status: int, body: bytes) -> str:
        async def handler(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(status=status, body=body, content_type="application/soap+xml")

        app = web.Application()
        app.router.add_post("/de/ws/consultas/consulta-ruc.wsdl", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start  # type: ignore[misc]
    for runner in runners:
        await runner.cleanup()


async def test_soap_answer_with_500_status_is_parsed(serve_fixed) -> None:
    base = await serve_fixed(500, RUC_ANSWER)
    async with SifenClient(SifenClientConfig(base_url=base)) as client:
        call = await client.consulta_ruc("1234567")
    assert call.http_status == 500
    assert call.result.code == "0500" and call.response_xml == RUC_ANSWER


async def test_sender_fault_with_sifen_code_is_a_rejection(serve_fixed) -> None:
    base = await serve_fixed(400, soap.build_fault("env:Sender", "XML Mal Formado", sifen_code="0160"))
    async with SifenClient(SifenClientConfig(base_url=base)) as client:
        with pytest.raises(SifenRejection) as refused:
            await client.consulta_ruc("1234567")
    assert refused.value.code == "0160" and not refused.value.retryable
    assert refused.value.http_status == 400 and b"Fault" in refused.value.response_body


async def test_server_unavailable_code_is_a_retryable_rejection(serve_fixed) -> None:
    # sifen-protocol.md §3: 0161/0162 server not responding → retry (never a document rejection)
    body = soap.build_recepcion_de_response(
        soap.ProtDe(
            None, None, None, "Rechazado", None, (soap.ResultMessage("0161", "Servidor no responde"),)
        )
    ).replace(b"<ns2:dFecProc></ns2:dFecProc>", b"")
    base = await serve_fixed(200, body)
    async with SifenClient(SifenClientConfig(base_url=base)) as client:
        client.url = lambda operation: base + "/de/ws/consultas/consulta-ruc.wsdl"  # type: ignore[method-assign]
        with pytest.raises(SifenRejection) as refused:
            await client.recepcion_de(b'<rDE xmlns="http://ekuatia.set.gov.py/sifen/xsd"/>')
    assert refused.value.code == "0161" and refused.value.retryable


async def test_request_over_the_size_limit_is_refused(tmp_path) -> None:
    # sifen-protocol.md §1.3: siConsRUC input > 1000 KB → 0460
    from sifenflow_sifen_sim.app import Simulator
    from sifenflow_sifen_sim.settings import SimSettings

    simulator = Simulator(SimSettings())
    envelope = soap.build_consulta_ruc(1, "80069563").replace(
        b"<env:Header/>", b"<env:Header/><!--" + b"x" * (1001 * 1024) + b"-->"
    )
    answer = soap.parse_response(
        await simulator.handle(soap.Operation.CONSULTA_RUC, envelope, None), soap.Operation.CONSULTA_RUC
    )
    await simulator.stop()
    assert answer.code == "0460"
