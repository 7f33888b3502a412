"""de/cdc, de/id, de/estado, de/xml: always inside the caller's tenant (a foreign CDC is 404)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from sifenflow_common.messages.envelope import document_stream
from sifenflow_common.tenants.model import Environment, Tenant
from sifenflow_gateway.auth import tenant_principal
from sifenflow_gateway.errors import ApiError, json_response
from sifenflow_gateway.keys import DEPS
from sifenflow_gateway.lifecycle import lifecycle
from sifenflow_gateway.model import SITUACION_LABELS, AcceptedDocument, DocumentStatus
from sifenflow_gateway.requests import flag, id_param, read_json
from sifenflow_gateway.responses import estado_of, situacion_of
from sifenflow_gateway.sifen_json import xml_to_json
from sifenflow_gateway.times import py_time

CDC_RE = re.compile(r"^\d{44}$")
MAX_ESTADO_CDCS = 500


def _cdc(request: web.Request) -> str:
    cdc = request.match_info["cdc"]
    if not CDC_RE.match(cdc):
        raise ApiError(400, "CDC_INVALIDO", "El CDC debe tener 44 dígitos", path="path.cdc")
    return cdc


def _not_found() -> ApiError:
    return ApiError(404, "DOCUMENTO_NO_ENCONTRADO", "Documento no encontrado", path="path")


def _record(doc: AcceptedDocument, status: DocumentStatus | None, environment: Environment) -> dict[str, Any]:
    situacion = situacion_of(doc, status)
    return {
        "id": doc.id,
        "cdc": doc.cdc,
        "numero": doc.numero_text,
        "tipoDocumento": doc.tipo_documento,
        "fecha": py_time(doc.created_at),
        "rde": xml_to_json(status.xml) if status is not None and status.xml else None,
        "situacion": situacion,
        "estado": estado_of(doc, situacion),
        "is_conectado": 0 if environment is Environment.SIMULADO else 1,
        "is_borrado": 1 if doc.is_borrado else 0,
        "lote_id": doc.lote_id,
        "info_codigo": status.respuesta_codigo if status else None,
        "info_descripcion": status.respuesta_mensaje if status else None,
        "data": doc.data,
    }


async def _one(request: web.Request, tenant: Tenant, doc: AcceptedDocument | None) -> web.Response:
    if doc is None:
        raise _not_found()
    statuses = await request.app[DEPS].status.statuses(tenant.id, [doc.document_id])
    record = _record(doc, statuses.get(doc.document_id), tenant.environment)
    return json_response({"success": True, "result": record})


async def de_by_cdc(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    doc = await request.app[DEPS].intake.by_cdc(principal.tenant.id, _cdc(request))
    return await _one(request, principal.tenant, doc)


async def de_by_id(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    doc_id = id_param(request.match_info["id"], "id", "path.id")
    doc = await request.app[DEPS].intake.by_id(principal.tenant.id, doc_id)
    return await _one(request, principal.tenant, doc)


async def de_estado(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    body, _ = await read_json(request)
    items = body.get("cdcList") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ApiError(400, "CAMPO_REQUERIDO", 'cdcList es obligatorio: [{"cdc": "..."}]', path="cdcList")
    if len(items) > MAX_ESTADO_CDCS:
        raise ApiError(
            400, "CDC_LIST_DEMASIADO_GRANDE", f"Máximo {MAX_ESTADO_CDCS} CDC por consulta", path="cdcList"
        )
    cdcs: list[str] = []
    for n, item in enumerate(items):
        cdc = item.get("cdc") if isinstance(item, dict) else item
        if not isinstance(cdc, str) or not CDC_RE.match(cdc):
            raise ApiError(400, "CDC_INVALIDO", "El CDC debe tener 44 dígitos", path=f"cdcList[{n}].cdc")
        cdcs.append(cdc)
    deps = request.app[DEPS]
    found = {d.cdc: d for d in await deps.intake.by_cdcs(principal.tenant.id, cdcs)}
    statuses = await deps.status.statuses(principal.tenant.id, [d.document_id for d in found.values()])
    de_list = []
    for cdc in cdcs:
        doc = found.get(cdc)
        if doc is None:
            de_list.append({"cdc": cdc, "situacion": 98, "estado": SITUACION_LABELS[98]})
            continue
        status = statuses.get(doc.document_id)
        situacion = situacion_of(doc, status)
        de_list.append(
            {
                "cdc": cdc,
                "numero": doc.numero_text,
                "situacion": situacion,
                "estado": estado_of(doc, situacion),
                "fecha": py_time(status.fecha_proceso) if status else None,
                "respuesta_codigo": status.respuesta_codigo if status else None,
                "respuesta_mensaje": status.respuesta_mensaje if status else None,
            }
        )
    return json_response({"success": True, "deList": de_list, "result": {"deList": de_list}})


async def de_xml(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    deps = request.app[DEPS]
    doc = await deps.intake.by_cdc(principal.tenant.id, _cdc(request))
    if doc is None:
        raise _not_found()
    status = (await deps.status.statuses(principal.tenant.id, [doc.document_id])).get(doc.document_id)
    if status is None or status.xml is None:  # never the unsigned XML (docs/gateway-api.md)
        raise ApiError(
            409,
            "XML_NO_DISPONIBLE",
            "El XML firmado de este documento aún no está disponible",
            path="path.cdc",
        )
    if flag(request, "json"):
        rde = xml_to_json(status.xml)  # the XML as JSON, as FacturaSend answers json=true
        return json_response({"success": True, "result": {"cdc": doc.cdc, "xml": status.xml, "rde": rde}})
    return web.Response(text=status.xml, content_type="application/xml", charset="utf-8")


async def de_eventos(request: web.Request) -> web.Response:
    """The document's history from the event store (created, built, signed, sent, answered, SIFEN
    events on it), oldest first: what the console's timeline shows."""
    principal = await tenant_principal(request)
    cdc = _cdc(request)
    doc = await request.app[DEPS].intake.by_cdc(principal.tenant.id, cdc)
    if doc is None:
        raise _not_found()
    items = await lifecycle(request).events.timeline(principal.tenant.id, document_stream(doc.document_id))
    for item in items:
        item["fecha"] = py_time(item["fecha"])
    return json_response({"success": True, "result": {"cdc": cdc, "items": items}})
