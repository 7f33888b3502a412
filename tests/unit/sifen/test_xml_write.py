"""Writer formats (MT v150 §7 / XSD types): compact, ordered, no empty elements, exact texts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D  # noqa: N817

import pytest

from sifenflow_common.sifen import de
from sifenflow_common.sifen.xml_write import format_decimal, format_value, write_group

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D(1500), "1500"),
        (D("1500.00"), "1500"),
        (D("0.50"), "0.5"),
        (D("1E+3"), "1000"),
        (D("1.23456789"), "1.23456789"),
        (D("0.00000001"), "0.00000001"),
        (D("12.3400"), "12.34"),
    ],
)
def test_decimal_text_is_plain(value: D, text: str) -> None:
    assert format_decimal(value) == text


def test_dates_without_fraction_or_offset() -> None:
    assert format_value(datetime(2024, 6, 15, 10, 30, 5, 123456)) == "2024-06-15T10:30:05"
    assert format_value(date(2024, 6, 5)) == "2024-06-05"


def test_text_is_escaped() -> None:
    g = de.GCamNCDE(iMotEmi=1, dDesMotEmi="A & B <c>")
    assert write_group(g, "gCamNCDE") == (
        "<gCamNCDE><iMotEmi>1</iMotEmi><dDesMotEmi>A &amp; B &lt;c&gt;</dDesMotEmi></gCamNCDE>"
    )


def test_absent_fields_are_omitted_and_order_follows_the_xsd() -> None:
    # tgCamCond: iCondOpe, dDCondOpe, gPaConEIni*, gPagCred?
    g = de.GCamCond(
        iCondOpe=2,
        dDCondOpe="Crédito",
        gPagCred=de.GPagCred(iCondCred=1, dDCondCred="Plazo", dPlazoCre="30 días"),
    )
    assert write_group(g, "gCamCond") == (
        "<gCamCond><iCondOpe>2</iCondOpe><dDCondOpe>Crédito</dDCondOpe><gPagCred><iCondCred>1</iCondCred>"
        "<dDCondCred>Plazo</dDCondCred><dPlazoCre>30 días</dPlazoCre></gPagCred></gCamCond>"
    )


@pytest.mark.parametrize(
    ("value", "text"), [(D("1.50"), "1.5"), (D("1E+3"), "1000"), (D(1500), "1500"), (D("0.0"), "0")]
)
def test_decimal_fields_are_written_plain(value: D, text: str) -> None:
    g = de.GCuotas(cMoneCuo="PYG", dDMoneCuo="Guarani", dMonCuota=value)
    assert f"<dMonCuota>{text}</dMonCuota>" in write_group(g, "gCuotas")
