"""Events API (FacturaSend ``/{t}/evento/<tipo>``, ``/invoicing/events/cancel``; MT v150 §11).

The documented SIFEN rules are checked before anything is sent (``sifen.event_rules``: state,
deadlines, range limits, who may send which event), with the facts we hold: the document's approval
time and the events already registered on its stream. Then ``sifen_event.requested`` is appended
(stream ``document-<id>`` for events on our own documents, ``event-<id>`` otherwise); the signer
builds and signs the event XML, the sender calls siRecepEvento, and SIFEN's answer comes back as
``event.accepted`` / ``event.rejected`` on that stream, which this handler waits for."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import structlog
from aiohttp import web

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.messages.envelope import document_stream
from sifenflow_common.messages.lifecycle import SifenEventRequested
from sifenflow_common.sifen.event_rules import RECIBO_TYPE, EventContext, check_event_rules
from sifenflow_common.sifen.paraguay_time import paraguay_to_utc
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.auth import authenticate, not_found, tenant_principal
from sifenflow_gateway.errors import ApiError, invalid, json_response
from sifenflow_gateway.keys import DEPS, SETTINGS
from sifenflow_gateway.lifecycle import lifecycle
from sifenflow_gateway.requests import read_json
from sifenflow_gateway.times import py_time

KINDS = {
    "cancelacion": "cancelacion",
    "inutilizacion": "inutilizacion",
    "conformidad": "conformidad",
    "confirmidad": "conformidad",  # spelling of FacturaSend's newer docs page
    "disconformidad": "disconformidad",
    "desconocimiento": "desconocimiento",
    "notificacion": "notificacion",
    "nominacion": "nominacion",
    "transporte": "transporte",
    "actualizacion-transporte": "transporte",
    "actualizacionTransporte": "transporte",
}
OWN_DOCUMENT_KINDS = frozenset({"cancelacion", "nominacion", "transporte"})
CDC_RE = re.compile(r"^[0-9]{2}[0-9]{7}[0-9A-D][0-9]{34}$")
_PRE_SEND_RULES_409 = frozenset(
    {"EVENTO_DUPLICADO", "DTE_CON_CONFORMIDAD", "NOTIFICACION_POSTERIOR", "DTE_NO_APROBADO"}
)


def _cdc(body: dict[str, Any]) -> str:
    cdc = body.get("cdc")
    if not isinstance(cdc, str) or not CDC_RE.match(cdc.strip()):
        raise ApiError(400, "CDC_INVALIDO", "cdc es obligatorio: 44 caracteres (MT v150 §10.1)", path="cdc")
    return cdc.strip()


def _int(body: dict[str, Any], key: str, low: int, high: int) -> int:
    value = body.get(key)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high or isinstance(value, bool):
        raise ApiError(400, "CAMPO_INVALIDO", f"{key} debe ser un entero entre {low} y {high}", path=key)
    return number


def _emitted_at(cdc: str) -> datetime | None:
    """dFeEmiDE date from the CDC (positions 26-33, YYYYMMDD; MT v150 §10.1), midnight in Paraguay."""
    try:
        return paraguay_to_utc(datetime.strptime(cdc[25:33], "%Y%m%d"))
    except ValueError:
        return None


def _rule_error(issues: list[ValidationIssue]) -> ApiError:
    status = 409 if issues[0].code in _PRE_SEND_RULES_409 else 422
    return invalid(issues, status=status)


def _innominado(data: dict[str, Any]) -> bool:
    cliente = data.get("cliente") or {}
    return not cliente.get("contribuyente") and str(cliente.get("documentoTipo", "")) == "5"


async def _inutilizacion_conflicts(request: web.Request, tenant: Tenant, fields: dict[str, Any]) -> None:
    """Numbers approved by SIFEN cannot be inutilizados (MT 4065); checked in our read model."""
    lc = lifecycle(request)
    approved = await lc.events.pool.fetch(
        """SELECT number FROM document_status WHERE tenant_id = $1 AND document_type = $2
             AND establishment = $3 AND expedition_point = $4 AND number::bigint BETWEEN $5 AND $6
             AND status IN ('approved', 'approved_with_observation', 'cancelled') ORDER BY number LIMIT 5""",
        tenant.id,
        fields["tipoDocumento"],
        fields["establecimiento"],
        fields["punto"],
        fields["desde"],
        fields["hasta"],
    )
    if approved:
        numbers = ", ".join(r["number"] for r in approved)
        raise ApiError(
            409,
            "NUMERO_APROBADO_EN_RANGO",
            f"El rango incluye documentos aprobados por SIFEN ({numbers}); "
            "no se pueden inutilizar (SIFEN 4065)",
            path="desde",
        )


def _sifen_result(outcome_type: str, data: dict[str, Any], sifen_id: int) -> dict[str, Any]:
    processed = data.get("processed_at")
    res: dict[str, Any] = {
        "ns2:dEstRes": "Aprobado" if outcome_type == "event.accepted" else "Rechazado",
        "ns2:id": str(sifen_id),
        "ns2:gResProc": {"ns2:dCodRes": data.get("sifen_code"), "ns2:dMsgRes": data.get("sifen_message")},
    }
    if data.get("protocol"):
        res["ns2:dProtAut"] = data["protocol"]
    return {"ns2:rRetEnviEventoDe": {"ns2:dFecProc": py_time(processed), "ns2:gResProcEVe": res}}


async def submit_event(request: web.Request, tenant: Tenant, kind: str, body: Any) -> web.Response:
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_INVALIDO", "Se espera un objeto JSON", path="$")
    deps, lc = request.app[DEPS], lifecycle(request)
    now = deps.clock()
    fields: dict[str, Any] = dict(body)
    event_id = uuid.uuid4()
    document_id: uuid.UUID | None = None
    cdc: str | None = None
    if kind == "inutilizacion":
        fields["timbrado"] = str(fields.get("timbrado") or tenant.timbrado_numero)
        fields["tipoDocumento"] = _int(body, "tipoDocumento", 1, 10)  # the event schema: 1, 4-7, 9
        fields["establecimiento"] = str(_int(body, "establecimiento", 1, 999)).zfill(3)
        fields["punto"] = str(_int(body, "punto", 1, 999)).zfill(3)
        fields["desde"] = _int(body, "desde", 1, 9_999_999)
        fields["hasta"] = _int(body, "hasta", 1, 9_999_999)
        context = EventContext(now=now, signer_ruc=tenant.ruc, issuer_ruc=tenant.ruc)
        stream = f"event-{event_id}"
        issues = check_event_rules(kind, fields, context)
        if not issues:
            await _inutilizacion_conflicts(request, tenant, fields)
    else:
        cdc = _cdc(body)
        fields["cdc"] = cdc
        if kind in OWN_DOCUMENT_KINDS:
            doc = await deps.intake.by_cdc(tenant.id, cdc)
            if doc is None:
                raise ApiError(
                    404, "DOCUMENTO_NO_ENCONTRADO", "El CDC no es un documento de esta empresa", path="cdc"
                )
            document_id = doc.document_id
            stream = document_stream(doc.document_id)
            history = await lc.events.history(tenant.id, stream)
            context = EventContext(
                now=now,
                signer_ruc=tenant.ruc,
                issuer_ruc=tenant.ruc,
                document_type=doc.tipo_documento,
                approved_at=history.approved_at,
                prior_events=history.registered,
                receptor_innominado=_innominado(doc.data),
            )
        else:
            history = await lc.events.receptor_history(tenant.id, cdc)
            context = EventContext(
                now=now,
                signer_ruc=tenant.ruc,
                issuer_ruc=f"{cdc[2:10].lstrip('0')}-{cdc[10]}",
                document_type=RECIBO_TYPE if cdc.startswith(str(RECIBO_TYPE)) else None,
                emitted_at=_emitted_at(cdc),
                prior_events=history.registered,
            )
            stream = f"event-{event_id}"
        if kind in history.in_flight:
            raise ApiError(
                409, "EVENTO_EN_CURSO", f"Ya hay un evento de {kind} en curso para este CDC", path="cdc"
            )
        issues = check_event_rules(kind, fields, context)
    if issues:
        raise _rule_error(issues)

    sifen_id = await lc.events.next_sifen_id()
    requested = SifenEventRequested(
        event_id=event_id, sifen_id=sifen_id, kind=kind, document_id=document_id, cdc=cdc, fields=fields
    )
    correlation = structlog.contextvars.get_contextvars().get("correlation_id")
    await lc.events.request(tenant.id, stream, requested, uuid.UUID(correlation) if correlation else None)
    outcome = await lc.events.wait_outcome(stream, event_id, request.app[SETTINGS].sync_wait_seconds)
    if outcome is None:
        pending = {"success": True, "pendiente": True, "eventoId": str(event_id), "cdc": cdc}
        return json_response(pending, status=202)
    outcome_type, data = outcome
    if outcome_type == "event.rejected" and not data.get("sent", True):
        issues_out = data.get("issues") or [
            {"code": data["sifen_code"], "path": "$", "message": data["sifen_message"]}
        ]
        raise ApiError(400, str(issues_out[0]["code"]), str(data["sifen_message"]), issues=list(issues_out))
    reply: dict[str, Any] = {
        "success": outcome_type == "event.accepted",
        "result": _sifen_result(outcome_type, data, sifen_id),
        "eventoId": str(event_id),
    }
    if cdc:
        reply["cdc"] = cdc
    if outcome_type == "event.rejected":
        reply["error"] = f"{data.get('sifen_code')}: {data.get('sifen_message')}"
    return json_response(reply)


async def evento(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    kind = KINDS.get(request.match_info["kind"])
    if kind is None:
        raise ApiError(
            404, "EVENTO_DESCONOCIDO", f"Evento desconocido; válidos: {', '.join(KINDS)}", path="path.kind"
        )
    body, _ = await read_json(request)
    return await submit_event(request, principal.tenant, kind, body)


async def invoicing_cancel(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    company = request.query.get("company_id")
    if company is not None and company not in (principal.tenant.slug, str(principal.tenant.id)):
        raise not_found()
    body, _ = await read_json(request)
    return await submit_event(request, principal.tenant, "cancelacion", body)
