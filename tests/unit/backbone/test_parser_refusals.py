"""A request aiohttp's HTTP parser refuses is answered with the JSON error envelope (stable code,
Spanish message), never echoing the refused bytes, and logged without any header value."""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from sifenflow_common.runtime.http_server import JsonErrorAppRunner, JsonErrorServer
from sifenflow_common.runtime.logging import configure_logging

pytestmark = pytest.mark.unit

SECRET = "sk_live_Zq7ParserSecret0123456789"


@pytest_asyncio.fixture(loop_scope="function")
async def port() -> AsyncIterator[int]:
    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"success": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", ok)
    runner = JsonErrorAppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    assert isinstance(runner.server, JsonErrorServer)
    yield runner.addresses[0][1]
    await runner.cleanup()


async def _exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


REFUSED = {
    "control character in Authorization": (
        b"POST /t/de/create HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + SECRET.encode()
        + b"\x01\r\nContent-Length: 2\r\n\r\n{}",
        400,
        "SOLICITUD_MAL_FORMADA",
    ),
    "bad request line": (
        b"GET /x?k=" + SECRET.encode() + b" HTTP/1.1 extra\r\nHost: x\r\n\r\n",
        400,
        "SOLICITUD_MAL_FORMADA",
    ),
    "header too long": (
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + SECRET.encode() * 400 + b"\r\n\r\n",
        431,
        "ENCABEZADOS_DEMASIADO_GRANDES",
    ),
    "bad chunked encoding": (
        b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
        + SECRET.encode()
        + b"\r\nTransfer-Encoding: chunked\r\n\r\nzz"
        + SECRET.encode()
        + b"\r\n",
        400,
        "SOLICITUD_MAL_FORMADA",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_parser_refusal_answers_json_without_echo_or_logged_value(
    case: str, port: int, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("DEBUG", json=True, service="gateway")
    raw, expected_status, expected_code = REFUSED[case]
    status, headers, body = await _exchange(port, raw)
    assert status == expected_status, body
    assert headers["content-type"].startswith("application/json")
    answer = json.loads(body)
    assert answer["success"] is False and answer["code"] == expected_code
    assert answer["errores"][0]["code"] == expected_code and answer["error"]
    assert SECRET.encode() not in body
    await asyncio.sleep(0.05)  # the refusal's log line is written after the answer
    log = capsys.readouterr().err
    assert "http_request_refused_by_parser" in log
    assert SECRET not in log and SECRET[:12] not in log


async def test_a_wellformed_request_still_reaches_the_app(port: int) -> None:
    status, _, body = await _exchange(port, b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status == 200 and json.loads(body) == {"success": True}


def test_the_overridden_aiohttp_hooks_keep_their_signature() -> None:
    """An aiohttp upgrade that changes what the JSON refusal overrides must fail here, loudly."""
    params = inspect.signature(RequestHandler.handle_error).parameters
    assert list(params) == ["self", "request", "status", "exc", "message"]
    assert params["status"].default == 500
    assert inspect.iscoroutinefunction(web.AppRunner._make_server)
    assert list(inspect.signature(web.AppRunner._make_server).parameters) == ["self"]
    assert list(inspect.signature(web.Server.__call__).parameters) == ["self"]
    assert RequestHandler.__slots__ and "__dict__" not in dir(RequestHandler)
