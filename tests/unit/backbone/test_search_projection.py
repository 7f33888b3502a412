"""The search projection's pure parts: fields from a request artifact and a built XML, the name key,
the keyset cursor and how ``q`` becomes a condition."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest

from sifenflow_common.readmodel.reports import month_split
from sifenflow_common.readmodel.search import name_key, request_fields, xml_amounts
from sifenflow_common.readmodel.search_queries import Cursor, SearchFilters, where_of
from sifenflow_common.sifen.paraguay_time import PARAGUAY_TZ

pytestmark = pytest.mark.unit
AT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def test_request_fields_read_environment_date_receptor_and_currency() -> None:
    blob = json.dumps(
        {
            "environment": "test",
            "data": {
                "fecha": "2026-11-30T23:30:00",
                "moneda": "USD",
                "cliente": {
                    "contribuyente": False,
                    "razonSocial": "  José  PÉREZ ",
                    "documentoNumero": "123",
                },
            },
        }
    ).encode()
    fields = request_fields(blob, AT)
    assert fields["environment"] == "test" and fields["currency"] == "USD"
    assert fields["issued_at"] == datetime(2026, 11, 30, 23, 30, tzinfo=PARAGUAY_TZ)
    assert fields["issued_on"] == date(2026, 11, 30)  # Paraguay's day, not UTC's
    assert (fields["receptor_ruc"], fields["receptor_document"]) == (None, "123")
    assert fields["receptor_key"] == "jose perez"


def test_a_missing_request_artifact_keeps_the_event_time() -> None:
    fields = request_fields(None, AT)
    assert fields["issued_at"] == AT and fields["environment"] == "desconocido"
    assert fields["issued_on"] == date(2026, 12, 1)


def test_xml_amounts_by_local_name() -> None:
    xml = b'<rDE xmlns="x"><gTotSub><dTotGralOpe>1100.5</dTotGralOpe><dIVA10>100</dIVA10></gTotSub></rDE>'
    amounts = xml_amounts(xml)
    assert str(amounts["total"]) == "1100.5" and amounts["iva10"] == 100 and amounts["iva5"] is None


def test_name_key_drops_case_accents_and_spaces() -> None:
    assert name_key("Ñandutí   Comercial") == "nanduti comercial"


def test_cursor_round_trip_and_garbage() -> None:
    for micros in range(0, 1_000_000, 7_777):  # exact to the microsecond
        cursor = Cursor(datetime(2026, 12, 7, 10, 0, 0, micros, tzinfo=PARAGUAY_TZ), 42)
        assert Cursor.decode(cursor.encode()) == cursor
    with pytest.raises(ValueError):
        Cursor.decode("bm8tZXMtdW4tY3Vyc29y")


@pytest.mark.parametrize(
    ("q", "fragment", "value"),
    [
        ("0180069563100100100000012", "cdc LIKE", "0180069563100100100000012%"),
        ("123", "number =", "0000123"),
        ("001-002-45", "expedition_point =", "0000045"),
        ("80069563-1", "receptor_ruc =", "80069563-1"),
        ("Ñandu_%", "receptor_key LIKE", "nandu\\_\\%%"),
    ],
)
def test_q_conditions(q: str, fragment: str, value: str) -> None:
    where = where_of(uuid.uuid4(), SearchFilters(q=q))
    assert fragment in where.sql
    assert value in where.args


@pytest.mark.parametrize(
    ("desde", "hasta", "months", "edges"),
    [
        # a whole month: monthly rows only (the day ranges are empty)
        ("2026-11-01", "2026-11-30", ("2026-11-01", "2026-12-01"), ("2026-12-01", "2026-11-01") * 2),
        # part of one month: daily rows only
        ("2026-11-03", "2026-11-20", ("2026-12-01", "2026-12-01"),
         ("2026-11-03", "2026-11-20", "2026-11-21", "2026-11-03")),
        # days of October, whole November and December, days of January
        ("2026-10-25", "2027-01-10", ("2026-11-01", "2027-01-01"),
         ("2026-10-25", "2026-10-31", "2027-01-01", "2027-01-10")),
    ],
)  # fmt: skip
def test_month_split(desde: str, hasta: str, months: tuple[str, str], edges: tuple[str, ...]) -> None:
    got_months, got_edges = month_split(date.fromisoformat(desde), date.fromisoformat(hasta))
    assert tuple(d.isoformat() for d in got_months) == months
    assert tuple(d.isoformat() for d in got_edges) == edges


def test_unreadable_artifacts_leave_fields_empty() -> None:
    assert xml_amounts(b"<rDE><unclosed>") == dict.fromkeys(
        ("total", "base10", "iva10", "base5", "iva5", "exento")
    )
    assert request_fields(b"not json", AT)["environment"] == "desconocido"
    assert request_fields(b"[1, 2]", AT)["currency"] == "PYG"
