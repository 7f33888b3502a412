"""/openapi.json and /docs."""

from __future__ import annotations

from aiohttp import web

from sifenflow_gateway.errors import json_response
from sifenflow_gateway.keys import SETTINGS
from sifenflow_gateway.openapi import build_spec, render_html


def _spec(request: web.Request) -> dict[str, object]:
    from sifenflow_gateway.routes import ROUTES  # routes imports this module

    return build_spec(ROUTES, request.app[SETTINGS].public_url)


async def openapi(request: web.Request) -> web.Response:
    return json_response(_spec(request))


async def docs_page(request: web.Request) -> web.Response:
    return web.Response(text=render_html(_spec(request)), content_type="text/html", charset="utf-8")
