"""The audit middleware: after each request made by a key or a user, one append-only entry.

Recorded: every write (any method but GET/HEAD/OPTIONS), refused ones included (403, 4xx), and named
actions such as sign-ins and sign-out. Reads are not recorded: the log says who changed what. The
entry carries the route pattern, never the URL (no tokens from paths) nor any header or body.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from sifenflow_common.runtime.logging import get_logger
from sifenflow_common.users.audit import AuditEntry
from sifenflow_gateway.actor import ACTION, ACTION_TENANTS, ACTOR
from sifenflow_gateway.cookies import SAFE_METHODS
from sifenflow_gateway.keys import DEPS

log = get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def audit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        await _record(request, status)


async def _record(request: web.Request, status: int) -> None:
    actor = request.get(ACTOR)
    action = request.get(ACTION)
    accounts = request.config_dict[DEPS].accounts
    if actor is None or accounts is None or (action is None and request.method in SAFE_METHODS):
        return
    route = request.match_info.route
    pattern = route.resource.canonical if route.resource else "?"
    tenants = request.get(ACTION_TENANTS) or (actor.tenant_id,)
    try:
        for tenant_id in tenants:
            await accounts.audit.append(
                AuditEntry(
                    tenant_id=tenant_id,
                    actor_kind=actor.kind,
                    actor_id=actor.id,
                    actor_label=actor.label,
                    action=action or f"{request.method} {pattern}",
                    method=request.method,
                    route=pattern,
                    status=status,
                )
            )
    except Exception:  # the answer is already decided; the failure is logged, loudly
        log.exception("audit entry not written", route=pattern, status=status)
