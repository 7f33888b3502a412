"""Spanish (Paraguay) number and date formats of the KuDE: '.' thousands, ',' decimals, ₲ whole."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from sifenflow_common.kude import formatting as fmt

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (Decimal("832700"), "PYG", "₲ 832.700"),
        (Decimal("1234567"), "PYG", "₲ 1.234.567"),
        (Decimal("0"), "PYG", "₲ 0"),
        (Decimal("999"), "PYG", "₲ 999"),
        (Decimal("53320791.70"), "PYG", "₲ 53.320.791,70"),  # a supplier's cents are shown, not dropped
        (Decimal("12.2"), "USD", "US$ 12,20"),  # other currencies: at least two decimals
        (Decimal("1234.5"), "EUR", "€ 1.234,50"),
        (Decimal("0.125"), "USD", "US$ 0,125"),
        (Decimal("-50"), "PYG", "₲ -50"),  # dRedon may be negative
        (Decimal("10"), "CHF", "CHF 10,00"),  # no symbol known: the ISO code
    ],
)
def test_money(value: Decimal, currency: str, expected: str) -> None:
    assert fmt.money(value, currency) == expected


def test_numbers_and_quantities() -> None:
    assert fmt.quantity(Decimal("2.000")) == "2"
    assert fmt.quantity(Decimal("1234.5")) == "1.234,5"
    assert fmt.number(Decimal("125.94133776")) == "125,94133776"
    assert fmt.number(Decimal("1.123456789"), max_decimals=8) == "1,12345679"  # rounded half up
    assert fmt.number(Decimal("7350.25"), min_decimals=0) == "7.350,25"
    assert fmt.number(None) == "" and fmt.money(None) == ""


def test_dates() -> None:
    assert fmt.day(date(2026, 1, 5)) == "05/01/2026"
    assert fmt.moment(datetime(2026, 11, 20, 10, 15, 30)) == "20/11/2026 10:15:30"
    assert fmt.day(None) == "" and fmt.moment(None) == ""
