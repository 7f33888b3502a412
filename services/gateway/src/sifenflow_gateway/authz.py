"""Who may call what: the one declared table route → access, read by ``auth.authenticate`` for
every request authenticated with an API key or a user's session (the same roles for both). A route
missing here is refused to every key and user; the router test fails for it
(tests/integration/gateway/test_authz_table.py)."""

from __future__ import annotations

from typing import Final

from sifenflow_common.tenants.model import Role

PUBLIC: Final = "none"  # no credentials
MASTER: Final = "masterKey"  # the operator's master key (/admin)
SESSION: Final = "session"  # a user's own session cookie, no company (the user's own account)
READ = frozenset(Role)  # every role: admin, emisor, contador (alias lectura)
EMIT = frozenset({Role.ADMIN, Role.EMISOR})  # creates documents or events, sends mail
ADMIN = frozenset({Role.ADMIN})  # changes the company's integration settings

Access = frozenset[Role] | str

T = "/{tenant}"
ACCESS: dict[tuple[str, str], Access] = {
    # system
    ("GET", "/test"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/system/backend/info"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", f"{T}/test"): READ,
    ("GET", f"{T}/system/backend/params"): READ,
    # documents
    ("POST", f"{T}/de/create"): EMIT,
    ("POST", f"{T}/lote/create"): EMIT,
    ("POST", f"{T}/lote/draft-confirm/{{lote_id}}"): EMIT,
    ("POST", f"{T}/lote/draft-reject/{{lote_id}}"): EMIT,
    ("POST", f"{T}/recibo/create"): EMIT,
    ("POST", f"{T}/bulk"): EMIT,
    ("GET", f"{T}/bulk/{{batch_id}}"): READ,
    ("GET", f"{T}/bulk/{{batch_id}}/lines"): READ,
    ("POST", "/invoicing/emit/{kind}"): EMIT,
    # queries
    ("GET", f"{T}/de/cdc/{{cdc}}"): READ,
    ("GET", f"{T}/de/id/{{id}}"): READ,
    ("POST", f"{T}/de/estado"): READ,
    ("GET", f"{T}/de/xml/{{cdc}}"): READ,
    ("POST", f"{T}/de/pdf"): READ,
    ("GET", f"{T}/de/kude/{{cdc}}"): READ,
    ("GET", f"{T}/de/{{cdc}}/eventos"): READ,
    # search, exports and reports (read models; docs/read-models.md)
    ("GET", f"{T}/de"): READ,
    ("GET", f"{T}/de.csv"): READ,
    ("GET", f"{T}/de.zip"): READ,
    ("GET", f"{T}/reportes/resumen"): READ,
    ("GET", f"{T}/reportes/resumen.csv"): READ,
    ("GET", f"{T}/reportes/habilitacion"): READ,
    # sends the company's KuDE and XML to any address, as the company: not for a read-only key
    ("POST", f"{T}/de/email"): EMIT,
    ("GET", "/invoicing/companies"): READ,
    # catalogs
    ("GET", f"{T}/departamentos"): READ,
    ("GET", f"{T}/distritos/{{departamento}}"): READ,
    ("GET", f"{T}/ciudades/{{distrito}}"): READ,
    # SIFEN consultas (read only at SIFEN)
    ("POST", f"{T}/ruc/{{ruc}}"): READ,
    ("POST", f"{T}/dte/cdc/{{cdc}}"): READ,
    ("POST", "/invoicing/consult/ruc"): READ,
    ("POST", "/invoicing/consult/document"): READ,
    # numbering gaps and SIFEN events
    ("GET", f"{T}/numeracion/huecos"): READ,
    ("POST", f"{T}/numeracion/huecos/inutilizar"): EMIT,
    ("POST", f"{T}/evento/{{kind}}"): EMIT,
    ("POST", "/invoicing/events/cancel"): EMIT,
    # webhooks
    ("POST", f"{T}/webhooks"): ADMIN,
    ("GET", f"{T}/webhooks"): READ,
    ("DELETE", f"{T}/webhooks/{{webhook_id}}"): ADMIN,
    ("GET", f"{T}/webhooks/{{webhook_id}}/deliveries"): READ,
    ("POST", f"{T}/webhooks/{{webhook_id}}/deliveries/{{delivery_id}}/replay"): ADMIN,
    ("POST", f"{T}/webhooks/{{webhook_id}}/replay"): ADMIN,
    # the company's own settings (docs/tenants.md)
    ("GET", f"{T}/empresa"): ADMIN,
    ("PATCH", f"{T}/empresa"): ADMIN,
    ("GET", f"{T}/empresa/historial"): ADMIN,
    ("GET", f"{T}/empresa/ambiente/checklist"): ADMIN,
    ("POST", f"{T}/empresa/ambiente"): ADMIN,
    # users and sign-in (docs/users.md)
    ("POST", "/auth/enlace"): PUBLIC,
    ("GET", "/auth/enlace/{token}"): PUBLIC,
    ("POST", "/auth/enlace/{token}"): PUBLIC,
    ("GET", "/auth/oidc"): PUBLIC,
    ("GET", "/auth/oidc/retorno"): PUBLIC,
    ("GET", "/auth/invitaciones/{token}"): PUBLIC,
    ("POST", "/auth/invitaciones/{token}"): PUBLIC,
    ("POST", "/auth/refresh"): SESSION,
    ("POST", "/auth/salir"): SESSION,
    ("GET", "/auth/yo"): SESSION,
    ("GET", f"{T}/usuarios"): ADMIN,
    ("POST", f"{T}/usuarios/invitaciones"): ADMIN,
    ("PATCH", f"{T}/usuarios/{{user_id}}"): ADMIN,
    ("DELETE", f"{T}/usuarios/{{user_id}}"): ADMIN,
    ("GET", f"{T}/auditoria"): ADMIN,
    # operator (master key)
    ("POST", "/admin/tenants"): MASTER,
    ("GET", "/admin/tenants/{tenant_id}"): MASTER,
    ("PATCH", "/admin/tenants/{tenant_id}"): MASTER,
    ("GET", "/admin/tenants/{tenant_id}/historial"): MASTER,
    ("GET", "/admin/tenants/{tenant_id}/ambiente/checklist"): MASTER,
    ("POST", "/admin/tenants/{tenant_id}/ambiente"): MASTER,
    ("PUT", "/admin/tenants/{tenant_id}/certificate"): MASTER,
    ("GET", "/admin/tenants/{tenant_id}/mail"): MASTER,
    ("PUT", "/admin/tenants/{tenant_id}/mail"): MASTER,
    ("POST", "/admin/tenants/{tenant_id}/apikeys"): MASTER,
    ("DELETE", "/admin/apikeys/{key_id}"): MASTER,
}


def roles_for(method: str, path: str) -> frozenset[Role]:
    """The roles a key or a user needs for the route ``method path`` (the pattern, not the URL);
    nothing for a route that is not an API-key route or is not in the table."""
    access = ACCESS.get((method, path))
    return access if isinstance(access, frozenset) else frozenset()
