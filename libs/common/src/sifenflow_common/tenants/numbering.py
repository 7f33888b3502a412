"""Gapless document numbers (C007 dNumDoc, 7 digits) per (tenant, environment, timbrado, establecimiento,
punto, tipo): the simulated, test and production environments number apart (migration 0480).

Call these inside the transaction that records the document: the counter row stays locked until that
transaction ends, so concurrent allocations queue up and a rollback gives the number back (no gap).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

MAX_NUMERO = 9_999_999  # dNumDoc has 7 digits (MT v150 C007)


@dataclass(frozen=True, slots=True)
class NumberingKey:
    tenant_id: uuid.UUID
    timbrado: str
    establecimiento: str  # "001"
    punto: str  # "001"
    tipo_documento: int
    environment: str = ""  # simulado | test | produccion ("" only in tests of the counter itself)

    def args(self) -> tuple[uuid.UUID, str, str, str, int, str]:
        return (
            self.tenant_id,
            self.timbrado,
            self.establecimiento,
            self.punto,
            self.tipo_documento,
            self.environment,
        )


class NumberingExhaustedError(ValueError):
    """The 7-digit range of this series is used up (a new serie or timbrado is needed)."""


@dataclass(frozen=True, slots=True)
class NumberAlreadyUsedError(Exception):
    numero: int
    document_id: uuid.UUID
    content_hash: str


async def allocate(conn: asyncpg.Connection, key: NumberingKey, count: int = 1) -> list[int]:
    """The next `count` consecutive numbers of the series."""
    first = await conn.fetchval(
        """
        INSERT INTO numbering_counters (tenant_id, timbrado, establecimiento, punto, tipo_documento,
                                        environment, next_value)
        VALUES ($1, $2, $3, $4, $5, $6, 1 + $7)
        ON CONFLICT (tenant_id, environment, timbrado, establecimiento, punto, tipo_documento)
        DO UPDATE SET next_value = numbering_counters.next_value + $7, updated_at = now()
        RETURNING next_value - $7
        """,
        *key.args(),
        count,
    )
    assert first is not None
    if first + count - 1 > MAX_NUMERO:
        raise NumberingExhaustedError(f"{key.establecimiento}-{key.punto} tipo {key.tipo_documento}")
    return list(range(int(first), int(first) + count))


async def note_given(conn: asyncpg.Connection, key: NumberingKey, numero: int) -> None:
    """A client-given number moves the counter past it, so allocation never hands it out again."""
    await conn.execute(
        """
        INSERT INTO numbering_counters (tenant_id, timbrado, establecimiento, punto, tipo_documento,
                                        environment, next_value)
        VALUES ($1, $2, $3, $4, $5, $6, $7 + 1)
        ON CONFLICT (tenant_id, environment, timbrado, establecimiento, punto, tipo_documento)
        DO UPDATE SET next_value = GREATEST(numbering_counters.next_value, EXCLUDED.next_value),
                      updated_at = now()
        """,
        *key.args(),
        numero,
    )


async def record_use(
    conn: asyncpg.Connection,
    key: NumberingKey,
    numero: int,
    document_id: uuid.UUID,
    content_hash: str,
    *,
    allocated: bool,
) -> None:
    """Records that `numero` now belongs to `document_id`; raises NumberAlreadyUsedError on reuse."""
    inserted = await conn.fetchval(
        """
        INSERT INTO document_numbers (tenant_id, timbrado, establecimiento, punto, tipo_documento,
                                      environment, numero, document_id, content_hash, allocated)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT DO NOTHING
        RETURNING true
        """,
        *key.args(),
        numero,
        document_id,
        content_hash,
        allocated,
    )
    if inserted:
        return
    row = await conn.fetchrow(
        """
        SELECT document_id, content_hash FROM document_numbers
        WHERE tenant_id = $1 AND timbrado = $2 AND establecimiento = $3 AND punto = $4
          AND tipo_documento = $5 AND environment = $6 AND numero = $7
        """,
        *key.args(),
        numero,
    )
    assert row is not None
    raise NumberAlreadyUsedError(
        numero=numero, document_id=row["document_id"], content_hash=row["content_hash"]
    )


@dataclass(frozen=True, slots=True)
class NumberUse:
    key: NumberingKey
    numero: int
    document_id: uuid.UUID
    content_hash: str
    allocated: bool


_RECORD_MANY = """
INSERT INTO document_numbers (tenant_id, timbrado, establecimiento, punto, tipo_documento, environment,
                              numero, document_id, content_hash, allocated)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::text[],
                     $7::bigint[], $8::uuid[], $9::text[], $10::bool[])
ON CONFLICT DO NOTHING
RETURNING document_id
"""
_HOLDERS = """
SELECT d.tenant_id, d.timbrado, d.establecimiento, d.punto, d.tipo_documento, d.environment, d.numero,
       d.document_id, d.content_hash
FROM document_numbers d
JOIN unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::bigint[])
     AS k(tenant_id, timbrado, establecimiento, punto, tipo_documento, environment, numero)
  USING (tenant_id, timbrado, establecimiento, punto, tipo_documento, environment, numero)
"""


async def record_uses(conn: asyncpg.Connection, uses: list[NumberUse]) -> dict[int, NumberAlreadyUsedError]:
    """Batch form of record_use: {index in `uses`: the holder} for every number already taken."""
    if not uses:
        return {}
    columns = list(zip(*(u.key.args() for u in uses), strict=True))
    inserted = {
        r["document_id"]
        for r in await conn.fetch(
            _RECORD_MANY,
            *[list(c) for c in columns],
            [u.numero for u in uses],
            [u.document_id for u in uses],
            [u.content_hash for u in uses],
            [u.allocated for u in uses],
        )
    }
    lost = [i for i, u in enumerate(uses) if u.document_id not in inserted]
    if not lost:
        return {}
    lost_cols = list(zip(*(uses[i].key.args() for i in lost), strict=True))
    rows = await conn.fetch(_HOLDERS, *[list(c) for c in lost_cols], [uses[i].numero for i in lost])
    holders = {
        (
            r["tenant_id"],
            r["timbrado"],
            r["establecimiento"],
            r["punto"],
            r["tipo_documento"],
            r["environment"],
            r["numero"],
        ): r
        for r in rows
    }
    out: dict[int, NumberAlreadyUsedError] = {}
    for i in lost:
        row = holders[(*uses[i].key.args(), uses[i].numero)]
        out[i] = NumberAlreadyUsedError(
            numero=uses[i].numero, document_id=row["document_id"], content_hash=row["content_hash"]
        )
    return out
