"""The search read model and its reports for the handlers: the pool, and the library's queries."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date, datetime
from uuid import UUID

import asyncpg

from sifenflow_common.readmodel import reports, search_queries
from sifenflow_common.readmodel.search_queries import Cursor, SearchFilters


class SearchReadModel:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def page(
        self, tenant_id: UUID, filters: SearchFilters, *, limit: int, after: Cursor | None
    ) -> tuple[list[asyncpg.Record], Cursor | None]:
        return await search_queries.search_page(self._pool, tenant_id, filters, limit=limit, after=after)

    def export(self, tenant_id: UUID, filters: SearchFilters) -> AsyncGenerator[asyncpg.Record, None]:
        return search_queries.export_rows(self._pool, tenant_id, filters)

    def signed_xmls(
        self, tenant_id: UUID, filters: SearchFilters
    ) -> AsyncGenerator[tuple[asyncpg.Record, bytes], None]:
        return search_queries.signed_xmls(self._pool, tenant_id, filters)

    async def resumen(
        self, tenant_id: UUID, desde: date, hasta: date, *, by_month: bool, environment: str | None
    ) -> reports.Resumen:
        return await reports.resumen(
            self._pool, tenant_id, desde, hasta, by_month=by_month, environment=environment
        )

    async def test_documents(
        self, tenant_id: UUID, since: datetime | None, until: datetime | None
    ) -> list[asyncpg.Record]:
        return await reports.test_environment_documents(self._pool, tenant_id, since, until)
