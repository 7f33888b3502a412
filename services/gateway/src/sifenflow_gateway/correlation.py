"""Per-request correlation id: taken from `X-Correlation-Id` when it is a UUID, else new; bound to
structlog's context for every log line of the request (one ``request`` line each at INFO, probes
at DEBUG), carried into the events, echoed back."""

from __future__ import annotations

import time
import uuid

import structlog
from aiohttp import web

from sifenflow_gateway.errors import Handler
from sifenflow_gateway.logpath import loggable_path

CORRELATION_HEADER = "X-Correlation-Id"
CORRELATION_ID = web.RequestKey("correlation_id", uuid.UUID)
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # polled by probes and scrapers
log = structlog.get_logger("sifenflow.gateway.request")


def correlation_id(request: web.Request) -> uuid.UUID:
    return request.get(CORRELATION_ID) or uuid.uuid4()


@web.middleware
async def correlation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        cid = uuid.UUID(request.headers.get(CORRELATION_HEADER, ""))
    except ValueError:
        cid = uuid.uuid4()
    request[CORRELATION_ID] = cid
    started = time.perf_counter()
    with structlog.contextvars.bound_contextvars(
        correlation_id=str(cid), path=loggable_path(request), service="gateway"
    ):
        status = 500
        try:
            response = await handler(request)
            status = response.status
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            emit = log.debug if request.path in QUIET_PATHS else log.info
            ms = round((time.perf_counter() - started) * 1000, 1)
            emit("request", method=request.method, status=status, ms=ms)
    response.headers[CORRELATION_HEADER] = str(cid)
    return response
