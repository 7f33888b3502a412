"""Tenant-scoped queries on the ``search`` read model: a keyset page, a streamed export, the signed
XMLs of a period. Every statement filters by the tenant first; another tenant's rows are never read.
"""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from sifenflow_common.readmodel.search import name_key
from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen.paraguay_time import PARAGUAY_TZ

COLUMNS = (
    "id, cdc, document_type, establishment, expedition_point, number, environment, issued_at, status,"
    " situacion, sifen_code, receptor_ruc, receptor_document, receptor_name, currency, total, base10, iva10,"
    " base5, iva5, exento"
)
_NUMERO_RE = re.compile(r"^(\d{3})-(\d{3})-(\d{1,7})$")
_RUC_RE = re.compile(r"^\d{1,8}-\d$")
EXPORT_PREFETCH = 1000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FEW_MATCHES = 2000
ZIP_PREFETCH = 50  # XMLs held at once while a ZIP streams


@dataclass(frozen=True, slots=True)
class SearchFilters:
    desde: date | None = None
    hasta: date | None = None
    situacion: int | None = None
    document_type: int | None = None
    ruc: str | None = None
    q: str | None = None
    environment: str | None = None


@dataclass(frozen=True, slots=True)
class Cursor:
    issued_at: datetime
    id: int

    def encode(self) -> str:
        micros = (self.issued_at - EPOCH) // timedelta(microseconds=1)  # integer arithmetic: exact
        return base64.urlsafe_b64encode(f"{micros}.{self.id}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Raises ValueError on anything not made by ``encode``."""
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
        micros, _, ident = raw.partition(".")
        if not micros.lstrip("-").isdigit() or not ident.isdigit():
            raise ValueError("cursor")
        moment = (EPOCH + timedelta(microseconds=int(micros))).astimezone(PARAGUAY_TZ)
        return cls(moment, int(ident))


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=PARAGUAY_TZ)


class _Where:
    def __init__(self, tenant_id: UUID) -> None:
        self.args: list[Any] = [tenant_id]
        self.parts: list[str] = ["tenant_id = $1"]

    def add(self, sql: str, *values: Any) -> None:
        """``sql`` with ``{}`` for each value's placeholder."""
        holders = []
        for value in values:
            self.args.append(value)
            holders.append(f"${len(self.args)}")
        self.parts.append(sql.format(*holders))

    @property
    def sql(self) -> str:
        return " AND ".join(self.parts)


def _q_condition(where: _Where, q: str) -> None:
    """``q``: a CDC (prefix), a numero (``001-001-0000123`` or the number alone), a receptor's RUC or
    documento (prefix) or the start of the receptor's name (any case, accents ignored)."""
    q = q.strip()
    if q.isdigit() and len(q) > 10:
        where.add("cdc LIKE {}", _like_prefix(q))
    elif q.isdigit():
        number = f"{int(q):07d}" if len(q) <= 7 else None
        where.add(
            "(number = {} OR receptor_ruc LIKE {} OR receptor_document LIKE {})",
            number,
            _like_prefix(q),
            _like_prefix(q),
        )
    elif match := _NUMERO_RE.match(q):
        where.add(
            "(establishment = {} AND expedition_point = {} AND number = {})",
            match.group(1),
            match.group(2),
            f"{int(match.group(3)):07d}",
        )
    elif _RUC_RE.match(q):
        where.add("receptor_ruc = {}", q)
    else:
        where.add("receptor_key LIKE {}", _like_prefix(name_key(q) or ""))


def where_of(tenant_id: UUID, filters: SearchFilters) -> _Where:
    where = _Where(tenant_id)
    if filters.desde is not None:
        where.add("issued_at >= {}", _day_start(filters.desde))
    if filters.hasta is not None:
        where.add("issued_at < {}", _day_start(filters.hasta + timedelta(days=1)))
    if filters.situacion is not None:
        where.add("situacion = {}", filters.situacion)
    if filters.document_type is not None:
        where.add("document_type = {}", filters.document_type)
    if filters.environment is not None:
        where.add("environment = {}", filters.environment)
    if filters.ruc:
        ruc = filters.ruc if "-" in filters.ruc else f"{filters.ruc}-{dv11(filters.ruc)}"
        where.add("receptor_ruc = {}", ruc)
    if filters.q:
        _q_condition(where, filters.q)
    return where


async def search_page(
    db: asyncpg.Pool | asyncpg.Connection,
    tenant_id: UUID,
    filters: SearchFilters,
    *,
    limit: int,
    after: Cursor | None = None,
) -> tuple[list[asyncpg.Record], Cursor | None]:
    """Newest first (by fecha, then id); the cursor of the next page, None on the last one."""
    where = where_of(tenant_id, filters)
    sparse = filters.q is not None and await _few_matches(db, tenant_id, filters.q)
    if after is not None:
        where.add("(issued_at, id) < ({}, {})", after.issued_at, after.id)
    where.args.append(limit + 1)
    if sparse:  # collect the few matches through the q indexes, then sort them
        sql = (
            f"WITH m AS MATERIALIZED (SELECT {COLUMNS} FROM document_search WHERE {where.sql})"
            f" SELECT * FROM m ORDER BY issued_at DESC, id DESC LIMIT ${len(where.args)}"
        )
    else:  # walk the newest-first index until the page is full
        sql = (
            f"SELECT {COLUMNS} FROM document_search WHERE {where.sql}"
            f" ORDER BY issued_at DESC, id DESC LIMIT ${len(where.args)}"
        )
    rows = await db.fetch(sql, *where.args)
    if len(rows) <= limit:
        return list(rows), None
    last = rows[limit - 1]
    return list(rows[:limit]), Cursor(last["issued_at"], last["id"])


async def _few_matches(db: asyncpg.Pool | asyncpg.Connection, tenant_id: UUID, q: str) -> bool:
    """Whether fewer than FEW_MATCHES documents match ``q`` (an index-only count). ``q`` conditions
    are prefixes whose selectivity the planner cannot estimate: with few matches, walking the
    newest-first index would read most of the tenant's documents to fill a page, so the matches are
    collected through the ``q`` indexes and sorted instead. With many, any ordered walk fills a page
    soon."""
    where = _Where(tenant_id)
    _q_condition(where, q)
    sql = f"SELECT count(*) FROM (SELECT 1 FROM document_search WHERE {where.sql} LIMIT {FEW_MATCHES}) m"
    return int(await db.fetchval(sql, *where.args)) < FEW_MATCHES


async def export_rows(
    pool: asyncpg.Pool, tenant_id: UUID, filters: SearchFilters
) -> AsyncGenerator[asyncpg.Record, None]:
    """Every matching row, newest first, read through a server-side cursor (constant memory)."""
    where = where_of(tenant_id, filters)
    sql = f"SELECT {COLUMNS} FROM document_search WHERE {where.sql} ORDER BY issued_at DESC, id DESC"
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        async for row in conn.cursor(sql, *where.args, prefetch=EXPORT_PREFETCH):
            yield row


async def signed_xmls(
    pool: asyncpg.Pool, tenant_id: UUID, filters: SearchFilters
) -> AsyncGenerator[tuple[asyncpg.Record, bytes], None]:
    """(row, signed XML) of every matching document that has been signed, oldest first."""
    where = where_of(tenant_id, filters)
    where.add("signed_sha256 IS NOT NULL")
    sql = (
        f"SELECT {COLUMNS}, (SELECT a.bytes FROM artifacts a WHERE a.sha256 = document_search.signed_sha256)"
        f" AS signed_xml FROM document_search WHERE {where.sql} ORDER BY issued_at, id"
    )
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        async for row in conn.cursor(sql, *where.args, prefetch=ZIP_PREFETCH):
            if row["signed_xml"] is not None:
                yield row, bytes(row["signed_xml"])
