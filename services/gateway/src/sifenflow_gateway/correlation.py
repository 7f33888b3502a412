"""Per-request correlation id: taken from `X-Correlation-Id` when it is a UUID, else new; bound to
structlog's context for every log line of the request, carried into the events, echoed back."""

from __future__ import annotations

import uuid

import structlog
from aiohttp import web

from sifenflow_gateway.errors import Handler

CORRELATION_HEADER = "X-Correlation-Id"
CORRELATION_ID = web.RequestKey("correlation_id", uuid.UUID)


def correlation_id(request: web.Request) -> uuid.UUID:
    return request.get(CORRELATION_ID) or uuid.uuid4()


@web.middleware
async def correlation_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        cid = uuid.UUID(request.headers.get(CORRELATION_HEADER, ""))
    except ValueError:
        cid = uuid.uuid4()
    request[CORRELATION_ID] = cid
    with structlog.contextvars.bound_contextvars(correlation_id=str(cid), path=request.path):
        response = await handler(request)
    response.headers[CORRELATION_HEADER] = str(cid)
    return response
