"""Reports from the ``search`` read model's aggregates (``document_daily``,
``document_receptor_daily``) and the test-environment summary SET asks for. Always by tenant."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from sifenflow_common.readmodel.documents import FACTURASEND_ESTADO

ESTADO_OF_SITUACION: dict[int, str] = {situacion: label for situacion, label in FACTURASEND_ESTADO.values()}
APPROVED = (2, 3)
REJECTED = 4
TOP_RECEPTORS = 10
AMOUNT_KEYS = ("total", "gravado10", "iva10", "gravado5", "iva5", "exento")

_DAILY = """
SELECT {period} AS periodo, document_type, situacion, currency, rejection_code, sum(documents) AS documents,
       sum(total) AS total, sum(base10) AS base10, sum(iva10) AS iva10, sum(base5) AS base5,
       sum(iva5) AS iva5, sum(exento) AS exento
FROM document_daily
WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 AND ($4::text IS NULL OR environment = $4)
GROUP BY 1, 2, 3, 4, 5
HAVING sum(documents) <> 0
ORDER BY 1, 2, 3, 4, 5
"""
# Whole months from the monthly rows, the days before and after them from the daily rows; the name
# of each of the few receptors found is looked up afterwards. Summed as float8 (exact for guaraníes
# below 2^53, rounded to 8 decimals): thousands of receptors a month aggregate twice as fast.
_RECEPTORS = """
WITH parts AS (
    SELECT receptor, currency, documents, total FROM document_receptor_monthly
    WHERE tenant_id = $1 AND month >= $2 AND month < $3 AND ($8::text IS NULL OR environment = $8)
    UNION ALL
    SELECT receptor, currency, documents, total FROM document_receptor_daily
    WHERE tenant_id = $1 AND (day BETWEEN $4 AND $5 OR day BETWEEN $6 AND $7)
      AND ($8::text IS NULL OR environment = $8)
), top AS (
    SELECT receptor, currency, sum(documents) AS documents, sum(total::float8) AS total FROM parts
    GROUP BY receptor, currency HAVING sum(documents) > 0
    ORDER BY sum(total) DESC, sum(documents) DESC, receptor LIMIT $9
)
SELECT top.*, coalesce(
    (SELECT s.receptor_name FROM document_search s
     WHERE s.tenant_id = $1 AND s.receptor_ruc = top.receptor LIMIT 1),
    (SELECT s.receptor_name FROM document_search s
     WHERE s.tenant_id = $1 AND s.receptor_document = top.receptor LIMIT 1), '') AS name
FROM top ORDER BY total DESC, documents DESC, receptor
"""
REPORT_WORK_MEM = "SET LOCAL work_mem = '32MB'"  # the receptors' hash aggregate stays in memory
_TEST_DOCUMENTS = """
SELECT document_type, situacion, status, cdc, establishment, expedition_point, number, issued_at, sifen_code
FROM document_search
WHERE tenant_id = $1 AND environment = 'test'
  AND ($2::timestamptz IS NULL OR issued_at >= $2) AND ($3::timestamptz IS NULL OR issued_at < $3)
ORDER BY document_type, issued_at, id
"""


def number(value: Decimal | int | None) -> int | float:
    """An amount for JSON: whole numbers as integers (guaraníes), others as floats."""
    if value is None:
        return 0
    decimal = Decimal(value)
    return int(decimal) if decimal == decimal.to_integral_value() else float(decimal)


def month_split(desde: date, hasta: date) -> tuple[tuple[date, date], tuple[date, date, date, date]]:
    """The whole months inside [desde, hasta] as [first, end) month starts, and the two day ranges
    around them (an empty range is (hasta + 1, desde))."""
    first = desde if desde.day == 1 else _next_month(desde)
    after = _next_month(hasta) if _next_month(hasta) - timedelta(days=1) == hasta else hasta.replace(day=1)
    empty = (hasta + timedelta(days=1), desde)
    if first >= after:
        return (first, first), (desde, hasta, *empty)
    before = (desde, first - timedelta(days=1)) if desde < first else empty
    tail = (after, hasta) if after <= hasta else empty
    return (first, after), (*before, *tail)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


async def _fetch(db: asyncpg.Pool | asyncpg.Connection, sql: str, *args: Any) -> list[asyncpg.Record]:
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn, conn.transaction():
            await conn.execute(REPORT_WORK_MEM)
            return list(await conn.fetch(sql, *args))
    return list(await db.fetch(sql, *args))  # a caller's connection: one query at a time


@dataclass(frozen=True, slots=True)
class Resumen:
    body: dict[str, Any]
    rows: list[dict[str, Any]]  # the period rows, also the CSV


async def resumen(
    db: asyncpg.Pool | asyncpg.Connection,
    tenant_id: UUID,
    desde: date,
    hasta: date,
    *,
    by_month: bool,
    environment: str | None = None,
) -> Resumen:
    period = "to_char(day, 'YYYY-MM')" if by_month else "to_char(day, 'YYYY-MM-DD')"
    months, edges = month_split(desde, hasta)
    # two connections of a pool: the two queries run at once
    rows, receptors = await asyncio.gather(
        _fetch(db, _DAILY.format(period=period), tenant_id, desde, hasta, environment),
        _fetch(db, _RECEPTORS, tenant_id, *months, *edges, environment, TOP_RECEPTORS),
    )
    by_type_state: dict[tuple[int, int, str], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    iva: dict[str, dict[str, Decimal]] = defaultdict(lambda: dict.fromkeys(AMOUNT_KEYS, Decimal(0)))
    rejections: dict[str, int] = defaultdict(int)
    series: dict[tuple[str, int, int, str], dict[str, Any]] = {}
    for r in rows:
        docs = int(r["documents"])
        key = (r["document_type"], r["situacion"], r["currency"])
        by_type_state[key][0] += docs
        by_type_state[key][1] += r["total"]
        if r["situacion"] in APPROVED:
            sums = iva[r["currency"]]
            for name, column in zip(
                AMOUNT_KEYS, ("total", "base10", "iva10", "base5", "iva5", "exento"), strict=True
            ):
                sums[name] += r[column]
        if r["situacion"] == REJECTED:
            rejections[r["rejection_code"] or "-"] += docs
        skey = (r["periodo"], r["document_type"], r["situacion"], r["currency"])
        line = series.setdefault(
            skey,
            {"periodo": skey[0], "tipoDocumento": skey[1], "situacion": skey[2],
             "estado": ESTADO_OF_SITUACION.get(skey[2], ""), "moneda": skey[3], "cantidad": 0,
             **dict.fromkeys(AMOUNT_KEYS, Decimal(0))},
        )  # fmt: skip
        line["cantidad"] += docs
        for name, column in zip(
            AMOUNT_KEYS, ("total", "base10", "iva10", "base5", "iva5", "exento"), strict=True
        ):
            line[name] += r[column]
    period_rows = [
        {k: number(v) if isinstance(v, Decimal) else v for k, v in line.items()} for line in series.values()
    ]
    body = {
        "desde": desde.isoformat(),
        "hasta": hasta.isoformat(),
        "agrupar": "mes" if by_month else "dia",
        "ambiente": environment,
        "porTipoYEstado": [
            {
                "tipoDocumento": t,
                "situacion": s,
                "estado": ESTADO_OF_SITUACION.get(s, ""),
                "moneda": m,
                "cantidad": v[0],
                "total": number(v[1]),
            }
            for (t, s, m), v in sorted(by_type_state.items())
        ],
        "iva": [{"moneda": m, **{k: number(v) for k, v in sums.items()}} for m, sums in sorted(iva.items())],
        "rechazos": [
            {"codigo": c, "cantidad": n} for c, n in sorted(rejections.items(), key=lambda i: (-i[1], i[0]))
        ],
        "topReceptores": [
            {
                "receptor": r["receptor"],
                "razonSocial": r["name"],
                "moneda": r["currency"],
                "cantidad": int(r["documents"]),
                "total": number(Decimal(str(round(r["total"], 8)))),
            }
            for r in receptors
        ],
        "periodos": period_rows,
    }
    return Resumen(body=body, rows=period_rows)


async def test_environment_documents(
    db: asyncpg.Pool | asyncpg.Connection,
    tenant_id: UUID,
    since: Any = None,
    until: Any = None,
) -> list[asyncpg.Record]:
    """Every document the tenant emitted in SET's test environment, by type then date."""
    return list(await db.fetch(_TEST_DOCUMENTS, tenant_id, since, until))
