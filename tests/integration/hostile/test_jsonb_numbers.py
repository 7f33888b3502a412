"""The JSON reader's numbers against PostgreSQL's jsonb: what the gateway validated is what the
pipeline reads back after storage (same value, same type, same text)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sifenflow_common import jsonin
from sifenflow_common.testing import pg

pytestmark = pytest.mark.integration

LITERALS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(["1e300", "1e20", "1.50", "-0.0", "1e-5", "4.35e-7", "123456789012345678901234.5"]),
)


def test_numbers_read_back_from_jsonb_unchanged() -> None:
    async def roundtrip(texts: list[str]) -> list[str]:
        conn = await asyncpg.connect(pg.admin_dsn())
        try:
            rows = await conn.fetch("SELECT (t::jsonb)::text AS v FROM unnest($1::text[]) AS t", texts)
        finally:
            await conn.close()
        return [r["v"] for r in rows]

    accepted: list[tuple[str, object]] = []

    @settings(derandomize=True, database=None, max_examples=400)
    @given(LITERALS)
    def collect(text: str) -> None:
        with contextlib.suppress(jsonin.JsonInputError):
            accepted.append((text, jsonin.loads(text)))

    collect()
    assert accepted
    stored = asyncio.run(roundtrip([json.dumps(value) for _, value in accepted]))
    for (text, value), back_text in zip(accepted, stored, strict=True):
        back = json.loads(back_text)
        assert type(back) is type(value) and back == value and str(back) == str(value), (text, back_text)
    assert not isinstance(jsonin.loads("0.1"), Decimal)
