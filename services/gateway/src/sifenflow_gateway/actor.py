"""Who is making the request, as the audit log records it (set by authentication, read by the audit
middleware): an API key (id and label) or a user (id and email), never a token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True, slots=True)
class Actor:
    kind: str  # key | user
    id: str
    label: str
    tenant_id: uuid.UUID | None = None


ACTOR = web.RequestKey("actor", Actor)
# a named action instead of "METHOD route" (sign-ins, sign-out); recorded even for GET routes
ACTION = web.RequestKey("audit_action", str)
# companies an action concerns when the route has none (a sign-in concerns each of the user's)
ACTION_TENANTS = web.RequestKey("audit_tenants", tuple)
