"""Serving an aiohttp app so that a request its HTTP parser refuses (malformed header, bad request
line, line too long, bad chunked body) is answered with the JSON error envelope, never aiohttp's
text/plain page that echoes the offending bytes, and logged without them.

aiohttp builds those answers in ``RequestHandler.handle_error``; the runner here swaps in a
subclass of the per-connection handler that overrides only that method (its signature is pinned by
a test, so an aiohttp upgrade that changes it fails loudly).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import Awaitable
from typing import Any

import structlog
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

MALFORMED = ("SOLICITUD_MAL_FORMADA", "La solicitud HTTP está mal formada y no pudo interpretarse")
TOO_LARGE = (
    "ENCABEZADOS_DEMASIADO_GRANDES",
    "La línea de solicitud o un encabezado supera el tamaño máximo permitido",
)
INTERNAL = ("ERROR_INTERNO", "Error interno del servidor")


def refusal(status: int, exc: BaseException | None) -> tuple[int, str, str]:
    """(status, code, message) answered for a request aiohttp could not handle."""
    if status >= 500:
        return 500, *INTERNAL
    if isinstance(exc, LineTooLong):
        return 431, *TOO_LARGE
    return 400, *MALFORMED


def _json_error(status: int, code: str, message: str) -> web.Response:
    body = {
        "success": False,
        "error": message,
        "code": code,
        "errores": [{"code": code, "path": "$", "message": message}],
    }
    return web.Response(
        text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )


class JsonErrorRequestHandler(RequestHandler):
    __slots__ = ()

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        answer_status, code, text = refusal(status, exc)
        if answer_status >= 500:
            # aiohttp's own path: logs the traceback (the logging filter redacts parser errors)
            # and refuses when part of a response was already written.
            super().handle_error(request, status, exc, message)
        else:
            kind = type(exc).__name__ if exc is not None else "unknown"
            parser_status = exc.code if isinstance(exc, HttpProcessingError) else status
            # the event name, the exception type and the status only: never the parser's message,
            # which quotes the bytes it refused (a header value such as an API key)
            structlog.get_logger("sifenflow.http").warning(
                f"http_request_refused_by_parser: {kind} (status {parser_status})",
                remote=request.remote,
                status=answer_status,
                code=code,
            )
            if request.writer.output_size > 0:
                raise ConnectionError("response already started; cannot send the error answer")
        resp = _json_error(answer_status, code, text)
        resp.force_close()
        return resp


class JsonErrorServer(web.Server):
    """``web.Server`` whose connections use :class:`JsonErrorRequestHandler`."""

    def __call__(self) -> RequestHandler:
        handler = super().__call__()
        handler.__class__ = JsonErrorRequestHandler  # same slots: only handle_error differs
        return handler


class JsonErrorAppRunner(web.AppRunner):
    """``web.AppRunner`` serving through :class:`JsonErrorServer`."""

    __slots__ = ()

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = JsonErrorServer
        return server


def run_app(
    app: web.Application | Awaitable[web.Application],
    *,
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None = None,
    shutdown_timeout: float = 60.0,
    **runner_kwargs: Any,
) -> None:
    """``web.run_app`` for one TCP site through :class:`JsonErrorAppRunner`: SIGINT/SIGTERM stop
    accepting, let in-flight requests finish for up to ``shutdown_timeout`` seconds, then close."""

    async def serve() -> None:
        application = app if isinstance(app, web.Application) else await app
        runner = JsonErrorAppRunner(
            application, handle_signals=True, shutdown_timeout=shutdown_timeout, **runner_kwargs
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
            await asyncio.Event().wait()  # until SIGINT/SIGTERM raises GracefulExit
        finally:
            await runner.cleanup()

    with contextlib.suppress(web.GracefulExit, KeyboardInterrupt):
        asyncio.run(serve())
