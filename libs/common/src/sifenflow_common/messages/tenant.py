"""Events of a company's own stream ``tenant-<uuid>``: its settings history.

``tenant.changed``: who (the master key, an API key by id and label, or the CLI) changed what. The
changes never carry secret values (a CSC shows its id, a certificate only that it was replaced).
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from sifenflow_common.messages.envelope import Event


class TenantChanged(Event):
    TYPE: ClassVar[str] = "tenant.changed"
    actor: str  # "master-key" | "api-key:<id> (<label>)" | "cli"
    action: str  # creada | editada | ambiente
    changes: tuple[dict[str, Any], ...] = ()


def tenant_stream(tenant_id: UUID) -> str:
    return f"tenant-{tenant_id}"


TENANT_EVENTS: tuple[type[Event], ...] = (TenantChanged,)
