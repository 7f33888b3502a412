"""Numbering gaps of one sequence (timbrado, establecimiento, punto, tipo): numbers never used
below the highest used one ("salteado"), and numbers whose document never got approved
("no_aprobado": rejected, or failed before SIFEN), minus the ranges already inutilizados. Every gap
must be inutilizado (MT v150 §6.2.1, §11; sifen-protocol.md §9). Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SKIPPED = "salteado"
NOT_APPROVED = "no_aprobado"


@dataclass(frozen=True, slots=True)
class Gap:
    first: int
    last: int
    reason: str

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    def as_dict(self) -> dict[str, object]:
        return {"desde": self.first, "hasta": self.last, "cantidad": self.size, "motivo": self.reason}


def _runs(numbers: Iterable[int], reason: str) -> list[Gap]:
    runs: list[Gap] = []
    for n in sorted(set(numbers)):
        if runs and runs[-1].last == n - 1 and runs[-1].reason == reason:
            runs[-1] = Gap(runs[-1].first, n, reason)
        else:
            runs.append(Gap(n, n, reason))
    return runs


def _minus(gap: Gap, voided: Sequence[tuple[int, int]]) -> list[Gap]:
    pieces = [gap]
    for low, high in voided:
        next_pieces: list[Gap] = []
        for piece in pieces:
            if high < piece.first or low > piece.last:
                next_pieces.append(piece)
                continue
            if piece.first < low:
                next_pieces.append(Gap(piece.first, low - 1, piece.reason))
            if piece.last > high:
                next_pieces.append(Gap(high + 1, piece.last, piece.reason))
        pieces = next_pieces
    return pieces


def find_gaps(
    used: Iterable[int], not_approved: Iterable[int], voided: Sequence[tuple[int, int]]
) -> list[Gap]:
    """Gaps in number order. ``used``: every number recorded for the sequence (any state);
    ``not_approved``: those whose document ended rejected or failed; ``voided``: inutilized ranges."""
    used_sorted = sorted(set(used))
    skipped: list[Gap] = []
    previous = 0
    for n in used_sorted:
        if n > previous + 1:
            skipped.append(Gap(previous + 1, n - 1, SKIPPED))
        previous = n
    gaps = skipped + _runs(not_approved, NOT_APPROVED)
    result = [piece for gap in gaps for piece in _minus(gap, voided)]
    return sorted(result, key=lambda g: g.first)


def covered(first: int, last: int, gaps: Sequence[Gap]) -> bool:
    """True when every number of first..last lies in some gap."""
    n = first
    for gap in sorted(gaps, key=lambda g: g.first):
        if gap.first <= n <= gap.last:
            n = gap.last + 1
            if n > last:
                return True
    return n > last
