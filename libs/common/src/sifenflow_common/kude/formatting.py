"""Spanish (Paraguay) number and date formats for the KuDE.

Thousands separator ``.``, decimal separator ``,``. Guaraníes have no decimals (MT v150 §8.6: PYG
amounts are whole), unless a supplier's XML carries some, which are then shown rather than hidden;
other currencies show at least two decimals and up to eight when the XML has them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

CURRENCY_SYMBOLS = {"PYG": "₲", "USD": "US$", "EUR": "€", "BRL": "R$", "ARS": "AR$"}


def _group(integer_digits: str) -> str:
    head = len(integer_digits) % 3 or 3
    parts = [integer_digits[:head]] + [integer_digits[i : i + 3] for i in range(head, len(integer_digits), 3)]
    return ".".join(parts)


def number(value: Decimal | int | None, *, min_decimals: int = 0, max_decimals: int = 8) -> str:
    """``1234567.5`` → ``1.234.567,5`` (trailing zeros beyond ``min_decimals`` dropped)."""
    if value is None:
        return ""
    dec = Decimal(value)
    quantum = Decimal(1).scaleb(-max_decimals)
    dec = dec.quantize(quantum, rounding=ROUND_HALF_UP) if dec.as_tuple().exponent < -max_decimals else dec  # type: ignore[operator]
    sign = "-" if dec < 0 else ""
    text = f"{abs(dec):f}"
    integer, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    if len(fraction) < min_decimals:
        fraction = fraction.ljust(min_decimals, "0")
    result = _group(integer.lstrip("0") or "0")
    return f"{sign}{result},{fraction}" if fraction else f"{sign}{result}"


def amount(value: Decimal | int | None, currency: str = "PYG") -> str:
    """An amount in the document's currency, without symbol."""
    if currency.upper() == "PYG":
        # whole guaraníes; a supplier's XML with cents shows them rather than hiding them
        whole = value is None or Decimal(value) == Decimal(value).to_integral_value()
        return number(value, min_decimals=0 if whole else 2)
    return number(value, min_decimals=2)


def money(value: Decimal | int | None, currency: str = "PYG") -> str:
    """An amount with its currency symbol: ``₲ 1.234.567``, ``US$ 1.234,50``."""
    if value is None:
        return ""
    code = currency.upper()
    symbol = CURRENCY_SYMBOLS.get(code, code)
    return f"{symbol} {amount(value, code)}"


def quantity(value: Decimal | int | None) -> str:
    return number(value, min_decimals=0)


def day(value: date | datetime | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def moment(value: datetime | None) -> str:
    return value.strftime("%d/%m/%Y %H:%M:%S") if value else ""
