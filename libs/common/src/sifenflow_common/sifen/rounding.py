"""Decimal rounding rules for SIFEN amounts (MT v150 §F, sifen-protocol.md §8.6).

Amounts are ``Decimal`` only. PYG amounts carry 0 decimals; other currencies keep what the
operation produces up to the 8 decimals the XSD allows (``tMontoBase`` fractionDigits 8). Rounding
is HALF_UP (as SET's reference implementations do).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Final

PYG: Final = "PYG"
ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
HUNDRED: Final = Decimal(100)
_Q: Final = {0: Decimal(1), 2: Decimal("0.01"), 4: Decimal("0.0001"), 8: Decimal("0.00000001")}
SEDECO_STEP_PYG: Final = Decimal(50)
STEP_FOREIGN: Final = Decimal("0.5")


def amount_decimals(moneda: str) -> int:
    """Decimals of amounts in ``moneda``: 0 for guaraníes, 8 (the XSD maximum) otherwise."""
    return 0 if moneda == PYG else 8


def q(value: Decimal, decimals: int, _q: dict[int, Decimal] = _Q, _r: str = ROUND_HALF_UP) -> Decimal:
    """Round HALF_UP to ``decimals`` places (0, 2, 4 or 8)."""
    return value.quantize(_q[decimals], rounding=_r)


def fraction_digits(value: Decimal) -> int:
    """Decimal places written in ``value`` (``Decimal("1.50")`` has 2)."""
    text = str(value)
    if "E" in text or "e" in text:
        exponent = value.as_tuple().exponent
        return -exponent if isinstance(exponent, int) and exponent < 0 else 0
    dot = text.find(".")
    return 0 if dot < 0 else len(text) - dot - 1


def redondeo(total: Decimal, moneda: str) -> Decimal:
    """``dRedon`` (F013) when the issuer applies rounding; never negative (``tdCRed`` min 0).

    PYG: SEDECO rule (Res. 347/2014): down to a multiple of 50, ``dRedon = total mod 50``.
    Other currencies: down to a multiple of 0.50 (SIFEN accepts ±0.50; the XSD forbids a
    negative ``dRedon``, so we always round down).
    """
    step = SEDECO_STEP_PYG if moneda == PYG else STEP_FOREIGN
    floored = (total / step).quantize(ONE, rounding=ROUND_DOWN) * step
    return total - floored
