"""The middleware feeding GatewayMetrics and the /metrics endpoint. Routes are labelled by their
template (`/{tenant}/de/create`), never by tenant or CDC."""

from __future__ import annotations

import time

from aiohttp import web

from sifenflow_gateway.errors import Handler
from sifenflow_gateway.keys import METRICS


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)  # the error middleware inside turns failures into responses
    metrics = request.config_dict[METRICS]
    route = _route(request)
    metrics.requests.labels(route, request.method, str(response.status)).inc()
    metrics.latency.labels(route, request.method).observe(time.perf_counter() - started)
    return response


async def metrics_endpoint(request: web.Request) -> web.Response:
    return web.Response(body=request.app[METRICS].render(), content_type="text/plain", charset="utf-8")
