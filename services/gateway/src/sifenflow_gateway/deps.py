"""The gateway's dependencies, wired once in app/__main__ (real adapters) or in tests (fakes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sifenflow_gateway.kude import KudeDocuments
from sifenflow_gateway.ports import Catalogs, DocumentEngine, IntakeStore, StatusReader, TenantDirectory
from sifenflow_gateway.ratelimit import RateLimiter

if TYPE_CHECKING:
    from sifenflow_common.tenants.company import CompanyAdmin
    from sifenflow_gateway.accounts import AccountDeps
    from sifenflow_gateway.adapters.search import SearchReadModel
    from sifenflow_gateway.lifecycle import LifecycleDeps


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class GatewayDeps:
    directory: TenantDirectory
    intake: IntakeStore
    status: StatusReader
    engine: DocumentEngine
    catalogs: Catalogs
    clock: Callable[[], datetime] = field(default=_utcnow)
    kude: KudeDocuments | None = None  # de/pdf, de/kude, de/email, admin mail settings (issue 7)
    lifecycle: LifecycleDeps | None = None  # webhooks, events, consultas (lifecycle.py)
    rate_limiter: RateLimiter | None = None  # None: per-process buckets (LocalRateLimiter)
    search: SearchReadModel | None = None  # document search, exports and reports (read models)
    readiness: Callable[[], Awaitable[list[str]]] | None = None  # what keeps /readyz at 503, if anything
    company: CompanyAdmin | None = None  # company edits, history, environment switch (handlers/company)
    accounts: AccountDeps | None = None  # users, sessions, audit log (accounts.py); None: keys only
