"""Every route of the gateway in one table; the OpenAPI document is generated from it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from sifenflow_gateway.handlers import (
    admin,
    bulk,
    company,
    consultas,
    documents,
    events,
    invoicing,
    kude,
    numbering,
    queries,
    reports,
    search,
    signin,
    system,
    users,
    webhooks,
)
from sifenflow_gateway.handlers import docs as docs_handlers
from sifenflow_gateway.metrics_http import metrics_endpoint

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    auth: str = "apiKey"  # apiKey | masterKey | none
    body: str | None = None  # json | json-array | ndjson
    query: tuple[str, ...] = ()


T = "/{tenant}"
SEARCH_QUERY = ("desde", "hasta", "estado", "tipoDocumento", "ruc", "q", "ambiente")
ROUTES: tuple[Route, ...] = (
    Route(
        "GET", "/test", system.test, "Verificación de servicio (sin autenticación)", "sistema", auth="none"
    ),
    Route("GET", "/healthz", system.healthz, "Liveness", "sistema", auth="none"),
    Route("GET", "/readyz", system.readyz, "Readiness (base de datos)", "sistema", auth="none"),
    Route("GET", "/metrics", metrics_endpoint, "Métricas Prometheus", "sistema", auth="none"),
    Route("GET", "/system/backend/info", system.backend_info, "Versiones", "sistema", auth="none"),
    Route("GET", "/openapi.json", docs_handlers.openapi, "Documento OpenAPI 3.1", "sistema", auth="none"),
    Route("GET", "/docs", docs_handlers.docs_page, "Documentación de la API (HTML)", "sistema", auth="none"),
    Route("GET", f"{T}/test", system.tenant_test, "Verifica la clave API para la empresa", "sistema"),
    Route("GET", f"{T}/system/backend/params", system.backend_params, "Parámetros del emisor", "sistema"),
    Route(
        "POST",
        f"{T}/de/create",
        documents.de_create,
        "Crea un DE (recepción síncrona)",
        "documentos",
        body="json",
        query=("xml", "qr", "tax"),
    ),
    Route(
        "POST",
        f"{T}/lote/create",
        documents.lote_create,
        "Crea un lote de 1 a 50 DE del mismo tipo",
        "documentos",
        body="json-array",
        query=("draft", "xml", "qr", "tax"),
    ),
    Route(
        "POST",
        f"{T}/lote/draft-confirm/{{lote_id}}",
        documents.draft_confirm,
        "Confirma un lote borrador",
        "documentos",
    ),
    Route(
        "POST",
        f"{T}/lote/draft-reject/{{lote_id}}",
        documents.draft_reject,
        "Descarta un lote borrador",
        "documentos",
    ),
    Route(
        "POST",
        f"{T}/recibo/create",
        documents.recibo_create,
        "Crea un recibo digital (tipo 55)",
        "documentos",
        body="json",
        query=("xml",),
    ),
    Route("GET", f"{T}/de/cdc/{{cdc}}", queries.de_by_cdc, "Consulta un DE por CDC", "consultas"),
    Route(
        "GET",
        f"{T}/de",
        search.de_search,
        "Busca documentos (más recientes primero, paginado por cursor)",
        "consultas",
        query=(*SEARCH_QUERY, "limit", "cursor"),
    ),
    Route("GET", f"{T}/de.csv", search.de_csv, "Exporta la búsqueda en CSV", "consultas", query=SEARCH_QUERY),
    Route(
        "GET",
        f"{T}/de.zip",
        search.de_zip,
        "XML firmados de la búsqueda (ZIP)",
        "consultas",
        query=SEARCH_QUERY,
    ),
    Route(
        "GET",
        f"{T}/reportes/resumen",
        reports.resumen,
        "Resumen por tipo y estado, IVA, rechazos y principales receptores",
        "reportes",
        query=("desde", "hasta", "agrupar", "ambiente", "formato"),
    ),
    Route(
        "GET",
        f"{T}/reportes/resumen.csv",
        reports.resumen,
        "Resumen en CSV",
        "reportes",
        query=("desde", "hasta", "agrupar", "ambiente"),
    ),
    Route(
        "GET",
        f"{T}/reportes/habilitacion",
        reports.habilitacion,
        "Documentos emitidos en el ambiente de pruebas de la SET (para la habilitación)",
        "reportes",
        query=("desde", "hasta"),
    ),
    Route("GET", f"{T}/de/id/{{id}}", queries.de_by_id, "Consulta un DE por id interno", "consultas"),
    Route(
        "POST",
        f"{T}/de/estado",
        queries.de_estado,
        "Estados de varios DE (cdcList)",
        "consultas",
        body="json",
    ),
    Route("GET", f"{T}/de/xml/{{cdc}}", queries.de_xml, "XML firmado de un DE", "consultas", query=("json",)),
    Route(
        "POST",
        f"{T}/de/pdf",
        kude.de_pdf,
        "KuDE (PDF) de 1 a 50 DE: binario o base64",
        "consultas",
        body="json",
    ),
    Route("GET", f"{T}/de/kude/{{cdc}}", kude.de_kude, "KuDE (PDF) de un DE", "consultas", query=("format",)),
    Route(
        "GET",
        f"{T}/de/{{cdc}}/eventos",
        queries.de_eventos,
        "Historia de un DE (almacén de eventos)",
        "consultas",
    ),
    Route(
        "POST",
        f"{T}/de/email",
        kude.de_email,
        "Reenvía por correo el KuDE y el XML (asíncrono)",
        "consultas",
        body="json",
    ),
    Route("GET", f"{T}/departamentos", system.departamentos, "Catálogo de departamentos", "catalogos"),
    Route(
        "GET",
        f"{T}/distritos/{{departamento}}",
        system.distritos,
        "Distritos (NULL = todos)",
        "catalogos",
        query=("nombre",),
    ),
    Route(
        "GET",
        f"{T}/ciudades/{{distrito}}",
        system.ciudades,
        "Ciudades (NULL = todas)",
        "catalogos",
        query=("nombre",),
    ),
    Route(
        "POST",
        f"{T}/bulk",
        bulk.bulk_create,
        "Envío masivo NDJSON (hasta 10.000 DE) → 202",
        "masivo",
        body="ndjson",
    ),
    Route("GET", f"{T}/bulk/{{batch_id}}", bulk.bulk_status, "Progreso de un envío masivo", "masivo"),
    Route(
        "GET",
        f"{T}/bulk/{{batch_id}}/lines",
        bulk.bulk_lines,
        "Resultado por línea de un envío masivo (paginado)",
        "masivo",
        query=("estado", "limit", "cursor"),
    ),
    Route("GET", "/invoicing/companies", invoicing.companies, "Empresas de la clave", "invoicing"),
    Route(
        "POST",
        "/invoicing/emit/{kind}",
        invoicing.emit_document,
        "Emite invoice | credit-note | debit-note | remision",
        "invoicing",
        body="json",
        query=("company_id",),
    ),
    Route(
        "POST",
        "/admin/tenants",
        admin.create_tenant,
        "Crea una empresa",
        "admin",
        auth="masterKey",
        body="json",
    ),
    Route(
        "GET",
        "/admin/tenants/{tenant_id}",
        admin.get_tenant,
        "Muestra una empresa",
        "admin",
        auth="masterKey",
    ),
    Route(
        "PATCH",
        "/admin/tenants/{tenant_id}",
        company.admin_patch,
        "Edita una empresa (datos, establecimientos, puntos, timbrado, CSC, logo, SMTP, certificado)",
        "admin",
        auth="masterKey",
        body="json",
    ),
    Route(
        "GET",
        "/admin/tenants/{tenant_id}/historial",
        company.admin_history,
        "Historial de cambios de la empresa",
        "admin",
        auth="masterKey",
    ),
    Route(
        "GET",
        "/admin/tenants/{tenant_id}/ambiente/checklist",
        company.admin_checklist,
        "Requisitos para cambiar de ambiente",
        "admin",
        auth="masterKey",
    ),
    Route(
        "POST",
        "/admin/tenants/{tenant_id}/ambiente",
        company.admin_switch,
        "Cambia de ambiente (simulado → test → produccion, produccion → test)",
        "admin",
        auth="masterKey",
        body="json",
    ),
    # the company's own admin key (docs/tenants.md)
    Route("GET", f"{T}/empresa", company.own_view, "Datos de la empresa (rol admin)", "empresa"),
    Route(
        "PATCH",
        f"{T}/empresa",
        company.own_patch,
        "Edita la empresa (rol admin)",
        "empresa",
        body="json",
    ),
    Route("GET", f"{T}/empresa/historial", company.own_history, "Historial de cambios", "empresa"),
    Route(
        "GET",
        f"{T}/empresa/ambiente/checklist",
        company.own_checklist,
        "Requisitos para cambiar de ambiente",
        "empresa",
    ),
    Route(
        "POST",
        f"{T}/empresa/ambiente",
        company.own_switch,
        "Cambia de ambiente: simulado → test → produccion (rol admin)",
        "empresa",
        body="json",
    ),
    Route(
        "PUT",
        "/admin/tenants/{tenant_id}/certificate",
        admin.replace_certificate,
        "Reemplaza el certificado PKCS#12 (renovación)",
        "admin",
        auth="masterKey",
        body="json",
    ),
    Route(
        "GET",
        "/admin/tenants/{tenant_id}/mail",
        kude.get_mail_settings,
        "Configuración de correo (SMTP) y KuDE de la empresa",
        "admin",
        auth="masterKey",
    ),
    Route(
        "PUT",
        "/admin/tenants/{tenant_id}/mail",
        kude.put_mail_settings,
        "Configura SMTP (contraseña cifrada) y KuDE anticipado",
        "admin",
        auth="masterKey",
        body="json",
    ),
    Route(
        "POST",
        "/admin/tenants/{tenant_id}/apikeys",
        admin.create_api_key,
        "Crea una clave API (se muestra una vez)",
        "admin",
        auth="masterKey",
        body="json",
    ),
    Route(
        "DELETE",
        "/admin/apikeys/{key_id}",
        admin.revoke_api_key,
        "Revoca una clave API",
        "admin",
        auth="masterKey",
    ),
    # numbering gaps (docs/events-api.md)
    Route("GET", f"{T}/numeracion/huecos", numbering.huecos, "Huecos de la numeración", "eventos"),
    Route(
        "POST",
        f"{T}/numeracion/huecos/inutilizar",
        numbering.inutilizar_hueco,
        "Inutiliza un hueco de la numeración",
        "eventos",
        body="json",
    ),
    # SIFEN consultas (docs/events-api.md)
    Route("POST", f"{T}/ruc/{{ruc}}", consultas.ruc, "Consulta de RUC en SIFEN (siConsRUC)", "consultas"),
    Route("POST", f"{T}/dte/cdc/{{cdc}}", consultas.dte, "Consulta de DTE en SIFEN (siConsDE)", "consultas"),
    Route(
        "POST",
        "/invoicing/consult/ruc",
        consultas.invoicing_ruc,
        "Consulta de RUC en SIFEN",
        "invoicing",
        query=("ruc", "company_id"),
    ),
    Route(
        "POST",
        "/invoicing/consult/document",
        consultas.invoicing_document,
        "Consulta de DTE en SIFEN",
        "invoicing",
        query=("cdc", "company_id"),
    ),
    # events (docs/events-api.md)
    Route(
        "POST",
        f"{T}/evento/{{kind}}",
        events.evento,
        "Evento SIFEN: cancelacion | inutilizacion | conformidad | disconformidad | desconocimiento | "
        "notificacion | nominacion | transporte",
        "eventos",
        body="json",
    ),
    Route(
        "POST",
        "/invoicing/events/cancel",
        events.invoicing_cancel,
        "Cancelación de un DE",
        "invoicing",
        body="json",
        query=("company_id",),
    ),
    # webhooks (docs/webhooks.md)
    Route(
        "POST",
        f"{T}/webhooks",
        webhooks.create,
        "Crea un webhook (secreto visible una vez)",
        "webhooks",
        body="json",
    ),
    Route("GET", f"{T}/webhooks", webhooks.list_all, "Webhooks de la empresa", "webhooks"),
    Route("DELETE", f"{T}/webhooks/{{webhook_id}}", webhooks.delete, "Elimina un webhook", "webhooks"),
    Route(
        "GET",
        f"{T}/webhooks/{{webhook_id}}/deliveries",
        webhooks.deliveries,
        "Registro de entregas",
        "webhooks",
        query=("limit", "before"),
    ),
    Route(
        "POST",
        f"{T}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/replay",
        webhooks.replay_one,
        "Reenvía una entrega",
        "webhooks",
    ),
    Route(
        "POST",
        f"{T}/webhooks/{{webhook_id}}/replay",
        webhooks.replay_since,
        "Reenvía todas las entregas desde una fecha",
        "webhooks",
        body="json",
    ),
)


# users and sign-in (docs/users.md)
USER_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/auth/enlace",
        signin.request_link,
        "Pide un enlace de ingreso por correo",
        "usuarios",
        auth="none",
        body="json",
    ),
    Route(
        "GET",
        "/auth/enlace/{token}",
        signin.confirm_link,
        "Página que confirma el ingreso",
        "usuarios",
        auth="none",
    ),
    Route(
        "POST",
        "/auth/enlace/{token}",
        signin.use_link,
        "Ingresa con el enlace (una vez)",
        "usuarios",
        auth="none",
    ),
    Route("GET", "/auth/oidc", signin.oidc_start, "Ingreso único (OpenID Connect)", "usuarios", auth="none"),
    Route(
        "GET",
        "/auth/oidc/retorno",
        signin.oidc_return,
        "Retorno del proveedor OpenID Connect",
        "usuarios",
        auth="none",
        query=("code", "state"),
    ),
    Route(
        "GET",
        "/auth/invitaciones/{token}",
        signin.confirm_invitation,
        "Página de una invitación",
        "usuarios",
        auth="none",
    ),
    Route(
        "POST",
        "/auth/invitaciones/{token}",
        signin.accept_invitation,
        "Acepta una invitación",
        "usuarios",
        auth="none",
    ),
    Route(
        "POST",
        "/auth/refresh",
        signin.refresh,
        "Renueva la sesión (rota el token)",
        "usuarios",
        auth="session",
    ),
    Route("POST", "/auth/salir", signin.sign_out, "Cierra la sesión", "usuarios", auth="session"),
    Route("GET", "/auth/yo", signin.me, "Usuario, empresas y roles", "usuarios", auth="session"),
    Route("GET", f"{T}/usuarios", users.list_members, "Usuarios de la empresa", "usuarios"),
    Route(
        "POST",
        f"{T}/usuarios/invitaciones",
        users.invite,
        "Invita por correo a un usuario",
        "usuarios",
        body="json",
    ),
    Route(
        "PATCH",
        f"{T}/usuarios/{{user_id}}",
        users.change_role,
        "Cambia el rol de un usuario",
        "usuarios",
        body="json",
    ),
    Route(
        "DELETE",
        f"{T}/usuarios/{{user_id}}",
        users.remove_member,
        "Quita un usuario de la empresa",
        "usuarios",
    ),
    Route(
        "GET",
        f"{T}/auditoria",
        users.audit_log,
        "Registro de auditoría",
        "usuarios",
        query=("limit", "cursor"),
    ),
)
ROUTES = ROUTES + USER_ROUTES


def setup_routes(app: web.Application) -> None:
    for route in ROUTES:
        app.router.add_route(route.method, route.path, route.handler)
