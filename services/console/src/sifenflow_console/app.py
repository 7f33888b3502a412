"""The console's aiohttp application: mounted under ``/consola`` by the gateway process in
``sifenflow run``, or served alone by ``sifenflow serve console`` (service.py)."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from sifenflow_console import views_auth, views_documents
from sifenflow_console.gateway_client import CLIENT, GatewayClient
from sifenflow_console.labels import DETAIL_KEYS, amount, evento, tipo
from sifenflow_console.pages import BASE, session_pages

HERE = Path(__file__).parent


def create_console_app(gateway_url: str) -> web.Application:
    app = web.Application(middlewares=[session_pages])
    gateway = GatewayClient(gateway_url)
    app[CLIENT] = gateway
    app.on_startup.append(gateway.start)
    app.on_cleanup.append(gateway.close)
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
    )
    env.filters["monto"] = amount
    env.filters["tipo"] = tipo
    env.filters["evento"] = evento
    env.globals["detail_keys"] = DETAIL_KEYS
    r = app.router
    r.add_static("/static/", HERE / "static", name="static")
    r.add_get("/", views_auth.home)
    r.add_get("/ingreso", views_auth.signin_form)
    r.add_post("/ingreso", views_auth.signin_request)
    r.add_get("/ingreso/{token}", views_auth.signin_link)
    r.add_post("/ingreso/{token}", views_auth.signin_confirm)
    r.add_post("/salir", views_auth.signout)
    r.add_get("/empresa", views_auth.switch_company)
    r.add_get("/{tenant}/", views_documents.dashboard)
    r.add_get("/{tenant}/documentos", views_documents.documents)
    r.add_get("/{tenant}/documentos.{kind:csv|zip}", views_documents.export)
    r.add_get("/{tenant}/documentos/{cdc}", views_documents.document)
    r.add_get("/{tenant}/documentos/{cdc}/{kind:kude|xml}", views_documents.download)
    r.add_post("/{tenant}/documentos/{cdc}/correo", views_documents.send_email)
    return app


def mount(parent: web.Application, gateway_url: str) -> None:
    """Serve the console under ``/consola/`` of ``parent`` (the gateway's application)."""
    parent.add_subapp(BASE + "/", create_console_app(gateway_url))


def standalone_app(gateway_url: str) -> web.Application:
    root = web.Application()
    mount(root, gateway_url)
    return root
