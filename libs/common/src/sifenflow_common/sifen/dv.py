"""Module-11 check digit used by SET for RUC DVs and for the CDC (MT v150 §10.2, protocol §4.2)."""

from __future__ import annotations


def dv11(value: str, basemax: int = 11) -> int:
    """Check digit of ``value``: non-digits become their ASCII code, weights 2..basemax from the right."""
    digits = "".join(c if c.isdigit() else str(ord(c)) for c in value.upper())
    total, weight = 0, 2
    for ch in reversed(digits):
        if weight > basemax:
            weight = 2
        total += int(ch) * weight
        weight += 1
    remainder = total % 11
    return 11 - remainder if remainder > 1 else 0
