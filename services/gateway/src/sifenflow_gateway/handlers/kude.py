"""de/pdf, de/kude/{cdc}, de/email (facturasend-api.md §2.6) and the admin mail settings.

Always inside the caller's tenant: a CDC of another tenant answers 404 exactly like an unknown one.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from aiohttp import web

from sifenflow_common.kude.markup import Format
from sifenflow_common.kude.render import FORMATS, KudeError
from sifenflow_common.messages.mail import Reason
from sifenflow_common.tenants.mail import parse_mail_input
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.auth import require_master_key, tenant_principal
from sifenflow_gateway.correlation import correlation_id
from sifenflow_gateway.errors import ApiError, invalid, json_response
from sifenflow_gateway.keys import DEPS
from sifenflow_gateway.kude import KudeDocuments
from sifenflow_gateway.model import AcceptedDocument
from sifenflow_gateway.requests import read_json

CDC_RE = re.compile(r"^\d{44}$")
MAX_EMAIL_LENGTH = 254  # RFC 5321 path limit; documented in docs/gateway-api.md (limits)
EMAIL_RE = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
MAX_PDF_CDCS = 50
MAX_EMAIL_CDCS = 50
MAX_EMAIL_ADDRESSES = 10


def _kude(request: web.Request) -> KudeDocuments:
    kude = request.app[DEPS].kude
    if kude is None:
        raise ApiError(503, "KUDE_NO_DISPONIBLE", "El servicio de KuDE no está configurado")
    return kude


def _format(value: Any, path: str) -> Format:
    if value in (None, "", "default"):
        return "a4"
    if value not in FORMATS:
        raise ApiError(400, "KUDE_FORMATO_INVALIDO", "format debe ser 'a4' o 'ticket'", path=path)
    return value


def _cdc_list(body: Any, limit: int) -> list[str]:
    items = body.get("cdcList") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ApiError(400, "CAMPO_REQUERIDO", 'cdcList es obligatorio: [{"cdc": "..."}]', path="cdcList")
    if len(items) > limit:
        raise ApiError(400, "CDC_LIST_DEMASIADO_GRANDE", f"Máximo {limit} CDC por solicitud", path="cdcList")
    cdcs: list[str] = []
    for n, item in enumerate(items):
        cdc = item.get("cdc") if isinstance(item, dict) else item
        if not isinstance(cdc, str) or not CDC_RE.match(cdc):
            raise ApiError(400, "CDC_INVALIDO", "El CDC debe tener 44 dígitos", path=f"cdcList[{n}].cdc")
        cdcs.append(cdc)
    return cdcs


async def _documents(request: web.Request, tenant: Tenant, cdcs: list[str]) -> list[AcceptedDocument]:
    found = {d.cdc: d for d in await request.app[DEPS].intake.by_cdcs(tenant.id, cdcs)}
    for n, cdc in enumerate(cdcs):
        if cdc not in found:
            raise ApiError(
                404, "DOCUMENTO_NO_ENCONTRADO", f"Documento no encontrado: {cdc}", path=f"cdcList[{n}].cdc"
            )
    return [found[c] for c in cdcs]


async def _signed_xmls(request: web.Request, tenant: Tenant, docs: list[AcceptedDocument]) -> list[bytes]:
    statuses = await request.app[DEPS].status.statuses(tenant.id, [d.document_id for d in docs])
    xmls: list[bytes] = []
    for n, doc in enumerate(docs):
        status = statuses.get(doc.document_id)
        if status is None or status.xml is None:
            raise ApiError(
                409,
                "XML_NO_DISPONIBLE",
                f"El documento {doc.cdc} aún no está firmado; el KuDE no está disponible",
                path=f"cdcList[{n}].cdc",
            )
        xmls.append(status.xml.encode("utf-8"))
    return xmls


def _kude_error(exc: KudeError) -> ApiError:
    return ApiError(422, exc.code, exc.message, path=exc.path or "$")


async def _pdf_for(request: web.Request, tenant: Tenant, cdcs: list[str], format: Format) -> bytes:
    kude = _kude(request)
    docs = await _documents(request, tenant, cdcs)
    xmls = await _signed_xmls(request, tenant, docs)
    try:
        if len(docs) == 1:
            return await kude.pdf(tenant, docs[0].document_id, xmls[0], format)
        return await kude.render_many(tenant, xmls, format)
    except KudeError as exc:
        raise _kude_error(exc) from exc


def _pdf_response(pdf: bytes, name: str) -> web.Response:
    return web.Response(
        body=pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
    )


async def de_pdf(request: web.Request) -> web.Response:
    """``{"cdcList": [{"cdc"}…] (1-50), "type": "base64"?, "format": "a4"|"ticket"?}`` → one PDF
    with one KuDE per document (binary, or base64 text with ``type=base64``)."""
    principal = await tenant_principal(request)
    body, _ = await read_json(request)
    cdcs = _cdc_list(body, MAX_PDF_CDCS)
    format = _format(body.get("format"), "format")
    kind = body.get("type")
    if kind not in (None, "", "binary", "base64"):
        raise ApiError(400, "TIPO_INVALIDO", "type debe ser 'base64' u omitirse (binario)", path="type")
    pdf = await _pdf_for(request, principal.tenant, cdcs, format)
    if kind == "base64":
        return web.Response(text=base64.b64encode(pdf).decode("ascii"), content_type="text/plain")
    return _pdf_response(pdf, cdcs[0] if len(cdcs) == 1 else f"kude-{len(cdcs)}")


async def de_kude(request: web.Request) -> web.Response:
    """``GET /{t}/de/kude/{cdc}?format=a4|ticket``: the KuDE of one document, binary."""
    principal = await tenant_principal(request)
    cdc = request.match_info["cdc"]
    if not CDC_RE.match(cdc):
        raise ApiError(400, "CDC_INVALIDO", "El CDC debe tener 44 dígitos", path="path.cdc")
    format = _format(request.query.get("format"), "query.format")
    try:
        pdf = await _pdf_for(request, principal.tenant, [cdc], format)
    except ApiError as err:
        err.issues = [dict(i, path="path.cdc") for i in err.issues]
        raise
    return _pdf_response(pdf, cdc)


def _addresses(body: dict[str, Any]) -> tuple[str, ...]:
    raw = body.get("emails", body.get("to"))
    if raw in (None, "", []):
        return ()
    values = [a.strip() for a in re.split(r"[,;]", raw)] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not all(isinstance(a, str) for a in values):
        raise ApiError(400, "CAMPO_INVALIDO", "emails debe ser una lista de direcciones", path="emails")
    addresses = tuple(dict.fromkeys(a.strip() for a in values if a.strip()))
    if len(addresses) > MAX_EMAIL_ADDRESSES:
        raise ApiError(400, "CAMPO_INVALIDO", f"Máximo {MAX_EMAIL_ADDRESSES} direcciones", path="emails")
    for n, address in enumerate(addresses):
        if len(address) > MAX_EMAIL_LENGTH or not EMAIL_RE.match(address):
            raise ApiError(
                400,
                "MAIL_DESTINATARIO_INVALIDO",
                f"Dirección de correo inválida: {address}",
                path=f"emails[{n}]",
            )
    return addresses


async def de_email(request: web.Request) -> web.Response:
    """``{"cdcList": [...], "emails": ["otro@x.com.py"]?, "motivo": "aprobado"|"cancelado"?}``:
    queues the email of each document (sent asynchronously by the mailer); without ``emails`` it
    goes to the receptor's addresses."""
    principal = await tenant_principal(request)
    body, _ = await read_json(request)
    cdcs = _cdc_list(body, MAX_EMAIL_CDCS)
    to = _addresses(body)
    reason: Reason = "cancelado" if body.get("motivo") == "cancelado" else "aprobado"
    kude = _kude(request)
    tenant = principal.tenant
    docs = await _documents(request, tenant, cdcs)
    cid = correlation_id(request)
    for doc in docs:
        await kude.request_email(tenant, doc.document_id, doc.cdc, to, reason, cid)
    return json_response({"success": True, "result": True})


async def get_mail_settings(request: web.Request) -> web.Response:
    require_master_key(request)
    deps = request.app[DEPS]
    tenant = await deps.directory.get_tenant(request.match_info["tenant_id"])
    settings = await _kude(request).mail_settings(tenant.id) if tenant is not None else None
    if settings is None:
        raise ApiError(404, "EMPRESA_NO_ENCONTRADA", "Empresa no encontrada", path="path.id")
    return json_response({"success": True, "result": settings.public_view()})


async def put_mail_settings(request: web.Request) -> web.Response:
    """``{"smtp": {host, port, security, user, password, from, fromName} | null, "kudeEager": bool}``;
    a missing ``smtp.password`` keeps the stored one; the password is never returned."""
    require_master_key(request)
    deps = request.app[DEPS]
    tenant = await deps.directory.get_tenant(request.match_info["tenant_id"])
    if tenant is None:
        raise ApiError(404, "EMPRESA_NO_ENCONTRADA", "Empresa no encontrada", path="path.id")
    body, _ = await read_json(request)
    data, issues = parse_mail_input(body)
    if data is None:
        raise invalid(issues, limit=10)
    settings = await _kude(request).update_mail_settings(tenant.id, data)
    if settings is None:
        raise ApiError(404, "EMPRESA_NO_ENCONTRADA", "Empresa no encontrada", path="path.id")
    return json_response({"success": True, "result": settings.public_view()})
