"""The simpler `/invoicing` API, mapped onto the same acceptance pipeline as de/create."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sifenflow_gateway.auth import authenticate, check_role, not_found
from sifenflow_gateway.emission import emit
from sifenflow_gateway.errors import ApiError, invalid, json_response
from sifenflow_gateway.invoicing_mapping import KIND_TIPO, to_facturasend
from sifenflow_gateway.keys import DEPS, SETTINGS
from sifenflow_gateway.model import SITUACION_LABELS, DocumentStatus
from sifenflow_gateway.requests import read_json


def simple_paths(err: ApiError) -> ApiError:
    """Engine paths (`data.cliente.ruc`) as paths of the simple body (`cliente.ruc`)."""
    for issue in err.issues:
        path = str(issue.get("path", ""))
        if path.startswith("data."):
            issue["path"] = path.removeprefix("data.")
    err.message = err.message.replace("(data.", "(")
    return err


async def companies(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    tenant = principal.tenant
    return json_response(
        [
            {
                "id": tenant.slug,
                "name": tenant.nombre,
                "ruc": tenant.ruc,
                "business_name": tenant.params.get("razonSocial"),
            }
        ]
    )


def _sifen_reply(status: DocumentStatus | None, situacion: int) -> dict[str, Any]:
    if status is not None and status.sifen_reply is not None:
        return status.sifen_reply
    return {
        "ns2:rRetEnviDe": {
            "ns2:rProtDe": {
                "ns2:dEstRes": SITUACION_LABELS.get(situacion, str(situacion)),
                "ns2:gResProc": {
                    "ns2:dCodRes": status.respuesta_codigo if status else None,
                    "ns2:dMsgRes": status.respuesta_mensaje if status else None,
                },
            }
        }
    }


async def emit_document(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    kind = request.match_info["kind"]
    if kind not in KIND_TIPO:
        raise ApiError(404, "RECURSO_NO_ENCONTRADO", "Tipo de documento desconocido", path="path.kind")
    company = request.query.get("company_id")
    if not company:
        raise ApiError(400, "CAMPO_REQUERIDO", "company_id es obligatorio", path="query.company_id")
    if company not in (principal.tenant.slug, str(principal.tenant.id)):
        raise not_found()
    check_role(principal, emit=True)
    body, _ = await read_json(request)
    data, issues = to_facturasend(kind, body, principal.tenant)
    if issues:
        raise invalid(issues, limit=request.app[SETTINGS].error_limit)
    try:
        emitted = await emit(request, principal.tenant, [data], sync=True, indexed=False, hash_extra=kind)
    except ApiError as err:
        raise simple_paths(err) from None
    doc = emitted.result.documents[0]
    status = emitted.statuses.get(doc.document_id)
    situacion = status.situacion if status else doc.situacion
    reply = _sifen_reply(status, situacion)
    answer: dict[str, Any] = {
        **reply,
        "success": True,
        "cdc": doc.cdc,
        "numero": doc.numero_text,
        "estado": SITUACION_LABELS.get(situacion, str(situacion)),
        "qr_url": status.qr if status else None,
        "xml_signed": status.xml if status else None,
        "id": doc.id,
        "lote_id": doc.lote_id,
        "dIVA": request.app[DEPS].engine.tax_totals(principal.tenant.params, doc.data)
        if doc.tipo_documento != 7
        else None,
    }
    if emitted.warnings:  # what the tolerance policy ignored, in paths of the simple body
        answer["warnings"] = [dict(w, path=str(w["path"]).removeprefix("data.")) for w in emitted.warnings]
    return json_response(answer)
