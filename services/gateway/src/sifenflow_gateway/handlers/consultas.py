"""SIFEN consultas (facturasend-api.md §2.7, §5): ``POST /{t}/ruc/{ruc}`` (siConsRUC),
``POST /{t}/dte/cdc/{cdc}`` (siConsDE) and their ``/invoicing/consult/*`` forms. SIFEN's own
answer codes (0500/0501/0502, 0420/0421/0422) come back with ``success`` true; a SIFEN that cannot
be reached or refuses the request is a 502/503 with a stable code."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen_client import SifenError, SifenRejection
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.auth import authenticate, not_found, tenant_principal
from sifenflow_gateway.consultas import ConsultaUnavailable
from sifenflow_gateway.errors import ApiError, json_response
from sifenflow_gateway.lifecycle import lifecycle
from sifenflow_gateway.times import py_time

RUC_RE = re.compile(r"^[1-9][0-9]{3,7}[0-9A-D]?$")  # tRuc without DV (MT v150, siConsRUC dRUCCons)
CDC_RE = re.compile(r"^[0-9]{2}[0-9]{7}[0-9A-D][0-9]{34}$")
NOT_PARTY = "0421"  # siConsDE: RUC del certificado sin permiso para consultar el DE
ESTADOS = {
    "ACT": "Activo",
    "SUS": "Suspensión Temporal",
    "SAD": "Suspensión Administrativa",
    "BLQ": "Bloqueado",
    "CAN": "Cancelado",
    "CDE": "Cancelado Definitivo",
}


def _ruc(raw: str, path: str) -> str:
    ruc = raw.strip().upper().split("-", 1)[0]  # a RUC given with its DV is accepted; SIFEN wants it without
    if not RUC_RE.match(ruc):
        raise ApiError(
            400, "RUC_INVALIDO", "RUC sin dígito verificador: 5 a 8 caracteres (ej. 80069563)", path=path
        )
    return ruc


def _cdc(raw: str, path: str) -> str:
    if not CDC_RE.match(raw.strip()):
        raise ApiError(400, "CDC_INVALIDO", "El CDC debe tener 44 caracteres (MT v150 §10.1)", path=path)
    return raw.strip()


def _sifen_error(exc: Exception) -> ApiError:
    if isinstance(exc, ConsultaUnavailable):
        return ApiError(409, "SIFEN_SIN_CONEXION", str(exc))
    if isinstance(exc, SifenRejection):
        return ApiError(
            502,
            "SIFEN_RECHAZO",
            f"SIFEN rechazó la consulta ({exc.code or 'sin código'}): {exc.sifen_message}",
        )
    assert isinstance(exc, SifenError)
    busy = ApiError(503, "SIFEN_NO_DISPONIBLE", f"SIFEN no respondió; reintente más tarde ({exc})")
    busy.headers["Retry-After"] = "10"
    return busy


async def ruc_result(request: web.Request, tenant: Tenant, ruc: str) -> dict[str, Any]:
    try:
        result, cached = await lifecycle(request).consultas.ruc(tenant.id, ruc)
    except (SifenError, ConsultaUnavailable) as exc:
        raise _sifen_error(exc) from exc
    body: dict[str, Any] = {
        "ruc": ruc,
        "respuesta_codigo": result.code,
        "respuesta_mensaje": result.message,
        "cache": cached,
    }
    found = result.contribuyente
    if result.code == "0502" and found is not None:
        body.update(
            razon_social=found.razon_social,
            estado_codigo=found.estado_code,
            estado_mensaje=found.estado or ESTADOS.get(found.estado_code, found.estado_code),
            facturador_electronico=found.factura_electronica,
        )
    return body


async def de_result(request: web.Request, tenant: Tenant, cdc: str) -> dict[str, Any]:
    try:
        result, cached = await lifecycle(request).consultas.de(tenant.id, cdc)
    except SifenRejection as exc:
        if exc.code != NOT_PARTY:
            raise _sifen_error(exc) from exc
        # the company is neither emisor nor receptor of that DTE: SIFEN's answer, without the DTE
        return {"cdc": cdc, "fecha": None, "respuesta_codigo": exc.code,
                "respuesta_mensaje": exc.sifen_message, "cache": False}  # fmt: skip
    except (SifenError, ConsultaUnavailable) as exc:
        raise _sifen_error(exc) from exc
    body: dict[str, Any] = {
        "cdc": cdc,
        "fecha": py_time(result.processed_at),
        "respuesta_codigo": result.code,
        "respuesta_mensaje": result.message,
        "cache": cached,
    }
    content = result.content
    if result.code == "0422" and content is not None:
        body["xml"] = content.rde_xml.decode("utf-8") if content.rde_xml else content.raw
        body["protocolo"] = str(content.protocol) if content.protocol is not None else None
        body["eventos"] = len(content.events)
    return body


async def ruc(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    result = await ruc_result(request, principal.tenant, _ruc(request.match_info["ruc"], "path.ruc"))
    return json_response({"success": True, "result": result, **result})


async def dte(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    result = await de_result(request, principal.tenant, _cdc(request.match_info["cdc"], "path.cdc"))
    return json_response({"success": True, "result": result, **result})


async def _company(request: web.Request) -> Tenant:
    principal = await authenticate(request)
    company = request.query.get("company_id")
    if company is not None and company not in (principal.tenant.slug, str(principal.tenant.id)):
        raise not_found()
    return principal.tenant


async def invoicing_ruc(request: web.Request) -> web.Response:
    tenant = await _company(request)
    raw = request.query.get("ruc")
    if not raw:
        raise ApiError(400, "CAMPO_REQUERIDO", "ruc es obligatorio", path="query.ruc")
    result = await ruc_result(request, tenant, _ruc(raw, "query.ruc"))
    return json_response({**ruc_reply(result), "success": True, **result})


def ruc_reply(result: dict[str, Any]) -> dict[str, Any]:
    """The seed's RUC answer: SIFEN's ``rResEnviConsRUC`` as JSON with prefixed names, ``dRUC`` with its
    DV. siConsRUC returns no nombre de fantasía: ``dNomFan`` is an empty string."""
    reply: dict[str, Any] = {
        "ns2:dCodRes": result["respuesta_codigo"],
        "ns2:dMsgRes": result["respuesta_mensaje"],
    }
    if "razon_social" in result:
        ruc = str(result["ruc"])
        reply["ns2:xContRUC"] = {
            "ns2:dRUC": f"{ruc}-{dv11(ruc)}",
            "ns2:dRazSoc": result["razon_social"],
            "ns2:dNomFan": "",
            "ns2:dEstRUC": ESTADOS.get(result["estado_codigo"], result["estado_mensaje"]),
            "ns2:dCodEstRUC": result["estado_codigo"],
            "ns2:dRUCFactElec": "S" if result["facturador_electronico"] else "N",
        }
    return {"ns2:rResEnviConsRUC": reply}


async def invoicing_document(request: web.Request) -> web.Response:
    tenant = await _company(request)
    raw = request.query.get("cdc")
    if not raw:
        raise ApiError(400, "CAMPO_REQUERIDO", "cdc es obligatorio", path="query.cdc")
    result = await de_result(request, tenant, _cdc(raw, "query.cdc"))
    return json_response({"success": True, **result})
