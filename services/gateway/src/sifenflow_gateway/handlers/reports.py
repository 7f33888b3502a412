"""GET /{tenant}/reportes/resumen (JSON or CSV) from the daily aggregates, and
/{tenant}/reportes/habilitacion: what the company emitted in SET's test environment."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

from aiohttp import web

from sifenflow_common.readmodel.reports import AMOUNT_KEYS, ESTADO_OF_SITUACION
from sifenflow_common.sifen.paraguay_time import PARAGUAY_TZ
from sifenflow_gateway import search_params
from sifenflow_gateway.auth import tenant_principal
from sifenflow_gateway.errors import ApiError, json_response
from sifenflow_gateway.handlers.search import read_model
from sifenflow_gateway.times import py_datetime

MAX_DAYS = 366 * 5
RESUMEN_CSV_HEADER = ("periodo", "tipoDocumento", "situacion", "estado", "moneda", "cantidad", *AMOUNT_KEYS)


def _wants_csv(request: web.Request) -> bool:
    formato = request.query.get("formato")
    if formato not in (None, "", "json", "csv"):
        raise ApiError(400, "PARAMETRO_INVALIDO", "formato debe ser json o csv", path="query.formato")
    return request.path.endswith(".csv") or formato == "csv"


async def resumen(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    desde, hasta = search_params.date_range(request)
    today = datetime.now(PARAGUAY_TZ).date()
    hasta = hasta or today
    desde = desde or hasta.replace(day=1)
    if (hasta - desde).days > MAX_DAYS:
        raise ApiError(400, "RANGO_INVALIDO", "El período no puede superar cinco años", path="query.desde")
    agrupar = request.query.get("agrupar") or "dia"
    if agrupar not in ("dia", "mes"):
        raise ApiError(400, "PARAMETRO_INVALIDO", "agrupar debe ser dia o mes", path="query.agrupar")
    as_csv = _wants_csv(request)
    report = await read_model(request).resumen(
        principal.tenant.id,
        desde,
        hasta,
        by_month=agrupar == "mes",
        environment=search_params.environment(request),
    )
    if not as_csv:
        return json_response({"success": True, "result": report.body})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(RESUMEN_CSV_HEADER)
    for row in report.rows:
        writer.writerow([row[k] for k in RESUMEN_CSV_HEADER])
    filename = f"resumen_{request.match_info['tenant']}_{desde}_{hasta}.csv"
    return web.Response(
        body=buffer.getvalue().encode("utf-8"),
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )


async def habilitacion(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    desde, hasta = search_params.date_range(request)
    since = datetime.combine(desde, time.min, tzinfo=PARAGUAY_TZ) if desde else None
    until = datetime.combine(hasta + timedelta(days=1), time.min, tzinfo=PARAGUAY_TZ) if hasta else None
    rows = await read_model(request).test_documents(principal.tenant.id, since, until)
    by_type: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_type[row["document_type"]].append(row)
    tipos = []
    for document_type, docs in sorted(by_type.items()):
        outcomes: dict[int, int] = defaultdict(int)
        for doc in docs:
            outcomes[doc["situacion"]] += 1
        tipos.append(
            {
                "tipoDocumento": document_type,
                "cantidad": len(docs),
                "porEstado": [
                    {"situacion": s, "estado": ESTADO_OF_SITUACION.get(s, ""), "cantidad": n}
                    for s, n in sorted(outcomes.items())
                ],
                "documentos": [
                    {
                        "cdc": d["cdc"],
                        "numero": f"{d['establishment']}-{d['expedition_point']}-{d['number']}",
                        "fecha": py_datetime(d["issued_at"]),
                        "situacion": d["situacion"],
                        "estado": ESTADO_OF_SITUACION.get(d["situacion"], ""),
                        "codigoSifen": d["sifen_code"],
                    }
                    for d in docs
                ],
            }
        )
    body = {
        "ruc": principal.tenant.params.get("ruc"),
        "razonSocial": principal.tenant.params.get("razonSocial"),
        "ambiente": "test",
        "ambienteActual": principal.tenant.environment.value,
        "total": len(rows),
        "aprobados": sum(1 for r in rows if r["situacion"] in (2, 3)),
        "tipos": tipos,
    }
    return json_response({"success": True, "result": body})
