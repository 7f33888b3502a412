"""Dashboard, documents search and the document page."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from sifenflow_console.charts import bar_chart
from sifenflow_console.labels import AMBIENTES, ESTADOS, TIPOS, WAITING
from sifenflow_console.pages import client, company, problem, redirect, render, today

FILTERS = ("desde", "hasta", "estado", "tipoDocumento", "ruc", "q", "ambiente")
PAGE_SIZE = "25"
CDC_RE = re.compile(r"^\d{44}$")


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts and amounts by type and state (amounts per currency) and the documents waiting."""
    table: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["tipoDocumento"], row["estado"])
        entry = table.setdefault(key, {"tipo": row["tipoDocumento"], "estado": row["estado"], "cantidad": 0})
        entry["cantidad"] += row["cantidad"]
        entry.setdefault("totales", defaultdict(int))[row["moneda"]] += row["total"] or 0
    waiting = sum(r["cantidad"] for r in rows if r["estado"] in WAITING)
    return {
        "filas": sorted(table.values(), key=lambda e: (e["tipo"], e["estado"])),
        "cantidad": sum(r["cantidad"] for r in rows),
        "esperando": waiting,
    }


async def dashboard(request: web.Request) -> web.Response:
    ctx = await company(request)
    api, path = client(request), f"/{ctx.slug}/reportes/resumen"
    day, month = await asyncio.gather(
        api.call(request, "GET", path, params={"desde": today(), "hasta": today()}),
        api.call(request, "GET", path),
    )
    for answer in (day, month):
        if not answer.ok:
            return problem(request, answer, ctx.context())
    rechazos = [(str(r["codigo"]), int(r["cantidad"])) for r in month.result["rechazos"][:10]]
    chart = bar_chart(rechazos, "Rechazos del mes por código SIFEN")
    return render(
        request,
        "tablero.html",
        {
            **ctx.context(),
            "hoy": _summary(day.result["porTipoYEstado"]),
            "mes": _summary(month.result["porTipoYEstado"]),
            "desde": month.result["desde"],
            "hasta": month.result["hasta"],
            "rechazos": rechazos,
            "grafico": Markup(chart),  # built from numbers and escaped labels (charts.py)
            "seccion": "tablero",
        },
    )


def _filters(request: web.Request) -> dict[str, str]:
    return {k: v.strip() for k in FILTERS if (v := request.query.get(k, "")).strip()}


async def documents(request: web.Request) -> web.Response:
    ctx = await company(request)
    filters = _filters(request)
    params = {**filters, "limit": PAGE_SIZE}
    if cursor := request.query.get("cursor"):
        params["cursor"] = cursor
    answer = await client(request).call(request, "GET", f"/{ctx.slug}/de", params=params)
    items: list[dict[str, Any]] = []
    errores: list[str] = []
    next_url = None
    if answer.ok:
        items = answer.result["items"]
        if next_cursor := answer.result.get("nextCursor"):
            next_url = "?" + urlencode({**filters, "cursor": next_cursor})
    else:
        errores = answer.errors()
    query = urlencode(filters)
    return render(
        request,
        "documentos.html",
        {
            **ctx.context(),
            "filtros": filters,
            "items": items,
            "errores": errores,
            "mas": next_url,
            "export_query": f"?{query}" if query else "",
            "estados": ESTADOS,
            "tipos": TIPOS,
            "ambientes": AMBIENTES,
            "seccion": "documentos",
        },
        status=200 if answer.ok else answer.status,
    )


async def export(request: web.Request) -> web.StreamResponse:
    ctx = await company(request)
    kind = request.match_info["kind"]
    response = await client(request).stream(request, f"/{ctx.slug}/de.{kind}", _filters(request))
    if response is None:
        return render(request, "error.html", {**ctx.context(), "errores": ["Exportación no disponible"]}, 400)
    return response


def _cdc(request: web.Request) -> str | None:
    cdc = request.match_info["cdc"]
    return cdc if CDC_RE.match(cdc) else None


async def document(request: web.Request) -> web.Response:
    ctx = await company(request)
    cdc = _cdc(request)
    if cdc is None:
        return render(request, "error.html", {**ctx.context(), "errores": ["CDC inválido"]}, status=404)
    api = client(request)
    found, history = await asyncio.gather(
        api.call(request, "GET", f"/{ctx.slug}/de/cdc/{cdc}"),
        api.call(request, "GET", f"/{ctx.slug}/de/{cdc}/eventos"),
    )
    if not found.ok:
        return problem(request, found, ctx.context())
    return render(request, "documento.html", _document_context(request, ctx.context(), found, history))


def _document_context(request: web.Request, base: dict[str, Any], found: Any, history: Any) -> dict[str, Any]:
    doc = found.result
    data = doc.get("data") or {}
    return {
        **base,
        "doc": doc,
        "cliente": data.get("cliente") or {},
        "eventos": history.result["items"] if history.ok else [],
        "mensaje": request.query.get("enviado"),
        "seccion": "documentos",
    }


async def download(request: web.Request) -> web.StreamResponse:
    ctx = await company(request)
    cdc = _cdc(request)
    kind = request.match_info["kind"]
    response = None
    if cdc is not None:
        response = await client(request).stream(request, f"/{ctx.slug}/de/{kind}/{cdc}")
    if response is None:
        return render(request, "error.html", {**ctx.context(), "errores": ["Archivo no disponible"]}, 404)
    return response


async def send_email(request: web.Request) -> web.Response:
    """Send the KuDE and XML by email (admin, emisor); the API's Spanish errors shown on the page."""
    ctx = await company(request)
    cdc = _cdc(request)
    form = await request.post()
    if cdc is None or form.get("csrf") != ctx.csrf:
        return render(request, "error.html", {**ctx.context(), "errores": ["Solicitud inválida"]}, status=403)
    body = {"cdcList": [{"cdc": cdc}], "emails": str(form.get("emails", ""))}
    api = client(request)
    sent = await api.call(request, "POST", f"/{ctx.slug}/de/email", json=body)
    if sent.ok:
        return redirect(f"{request.path.rsplit('/', 1)[0]}?enviado=1")
    found, history = await asyncio.gather(
        api.call(request, "GET", f"/{ctx.slug}/de/cdc/{cdc}"),
        api.call(request, "GET", f"/{ctx.slug}/de/{cdc}/eventos"),
    )
    if not found.ok:
        return problem(request, found, ctx.context())
    context = _document_context(request, ctx.context(), found, history)
    context.update(errores=sent.errors(), emails=body["emails"])
    return render(request, "documento.html", context, status=sent.status)
