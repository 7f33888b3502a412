"""de/create (sync), lote/create (1-50, async), draft confirm/reject, recibo/create."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sifenflow_gateway.auth import tenant_principal
from sifenflow_gateway.emission import emit, require_certificate
from sifenflow_gateway.errors import ApiError, json_response
from sifenflow_gateway.keys import DEPS, SETTINGS
from sifenflow_gateway.model import DraftNotFoundError
from sifenflow_gateway.requests import flag, id_param, read_json
from sifenflow_gateway.responses import de_entry, envelope, ids


def _flags(request: web.Request) -> tuple[bool, bool, bool]:
    return flag(request, "xml"), flag(request, "qr"), flag(request, "tax")


async def de_create(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    body, _ = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_INVALIDO", "de/create recibe un único objeto JSON (no un arreglo)")
    xml, qr, tax = _flags(request)
    emitted = await emit(
        request, principal.tenant, [body], sync=True, indexed=False, hash_extra=request.query_string
    )
    deps = request.app[DEPS]
    de_list = [
        de_entry(deps, principal.tenant, d, emitted.statuses.get(d.document_id), xml=xml, qr=qr, tax=tax)
        for d in emitted.result.documents
    ]
    return json_response(envelope(de_list, emitted.result.lote_id, emitted.warnings))


async def lote_create(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    body, _ = await read_json(request)
    limit = request.app[SETTINGS].max_lote_documents
    if not isinstance(body, list):
        raise ApiError(400, "JSON_INVALIDO", "lote/create recibe un arreglo JSON de documentos")
    if not 1 <= len(body) <= limit:
        raise ApiError(400, "LOTE_CANTIDAD_INVALIDA", f"Un lote debe tener entre 1 y {limit} documentos")
    # repr: a hostile tipoDocumento may be a list or an object (unhashable); its own check names it
    tipos = {repr(d.get("tipoDocumento", d.get("tipo_documento"))) for d in body if isinstance(d, dict)}
    if len(tipos) > 1:
        raise ApiError(
            400,
            "LOTE_TIPOS_MEZCLADOS",
            "Todos los documentos de un lote deben tener el mismo tipoDocumento",
            path="[*].tipoDocumento",
        )
    draft = flag(request, "draft")
    xml, qr, tax = _flags(request)
    emitted = await emit(
        request,
        principal.tenant,
        body,
        sync=False,
        draft=draft,
        want_artifacts=xml or qr,
        hash_extra=request.query_string,
    )
    deps = request.app[DEPS]
    de_list = [
        de_entry(deps, principal.tenant, d, emitted.statuses.get(d.document_id), xml=xml, qr=qr, tax=tax)
        for d in emitted.result.documents
    ]
    return json_response(envelope(de_list, emitted.result.lote_id, emitted.warnings))


def _lote_id(request: web.Request) -> int:
    return id_param(request.match_info["lote_id"], "loteId", "path.loteId")


async def draft_confirm(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    deps = request.app[DEPS]
    require_certificate(principal.tenant, deps.clock())  # the draft stays a draft until it can be signed
    try:
        result = await deps.intake.confirm_draft(principal.tenant, _lote_id(request))
    except DraftNotFoundError as exc:
        raise ApiError(
            404, "BORRADOR_NO_ENCONTRADO", "No existe un lote borrador con ese id", path="path.loteId"
        ) from exc
    statuses = await deps.status.statuses(principal.tenant.id, ids(result.documents))
    de_list = [de_entry(deps, principal.tenant, d, statuses.get(d.document_id)) for d in result.documents]
    return json_response(envelope(de_list, result.lote_id))


async def draft_reject(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    deps = request.app[DEPS]
    try:
        result = await deps.intake.reject_draft(principal.tenant, _lote_id(request))
    except DraftNotFoundError as exc:
        raise ApiError(
            404, "BORRADOR_NO_ENCONTRADO", "No existe un lote borrador con ese id", path="path.loteId"
        ) from exc
    de_list = [de_entry(deps, principal.tenant, d, None) for d in result.documents]
    return json_response(envelope(de_list, result.lote_id))


async def recibo_create(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    body, _ = await read_json(request)
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_INVALIDO", "recibo/create recibe un único objeto JSON")
    xml = flag(request, "xml")
    emitted = await emit(
        request,
        principal.tenant,
        [body],
        sync=False,
        recibo=True,
        want_artifacts=xml,  # the signed recibo, as FacturaSend answers with xml=true
        indexed=False,
        hash_extra=request.query_string,
    )
    recibos = []
    for doc in emitted.result.documents:
        entry = {
            "id": doc.id,
            "cdc": doc.cdc,
            "numero": doc.numero_text,
            "estado": "Aprobado",
            "respuesta_codigo": "0260",
            "respuesta_mensaje": "Aprobado",
        }
        if xml:
            status = emitted.statuses.get(doc.document_id)
            entry["xml"] = status.xml if status else None
        recibos.append(entry)
    answer: dict[str, Any] = {"success": True, "reciboList": recibos, "result": {"reciboList": recibos}}
    if emitted.warnings:
        answer["warnings"] = answer["result"]["warnings"] = emitted.warnings
    return json_response(answer)
