"""Numbering gaps (sifen-protocol.md §9: one sequence per timbrado/establecimiento/punto/tipo,
every gap must be inutilizado; MT v150 §11 inutilización)."""

from __future__ import annotations

import pytest

from sifenflow_gateway.gaps import NOT_APPROVED, SKIPPED, Gap, covered, find_gaps

pytestmark = pytest.mark.unit


def test_skipped_numbers_below_the_highest_used_are_gaps() -> None:
    assert find_gaps([1, 2, 5, 6, 10], [], []) == [Gap(3, 4, SKIPPED), Gap(7, 9, SKIPPED)]
    assert find_gaps([4], [], []) == [Gap(1, 3, SKIPPED)]  # numbering starts at 0000001
    assert find_gaps([1, 2, 3], [], []) == []
    assert find_gaps([], [], []) == []


def test_numbers_never_approved_are_gaps_in_runs() -> None:
    gaps = find_gaps([1, 2, 3, 4, 5, 6], [2, 3, 5], [])
    assert gaps == [Gap(2, 3, NOT_APPROVED), Gap(5, 5, NOT_APPROVED)]


def test_inutilized_ranges_are_removed() -> None:
    gaps = find_gaps([1, 20], [1], [(1, 1), (5, 8), (15, 30)])
    assert gaps == [Gap(2, 4, SKIPPED), Gap(9, 14, SKIPPED)]


def test_covered_accepts_ranges_spanning_adjacent_gaps_only() -> None:
    gaps = find_gaps([1, 2, 3, 4, 5, 9], [3], [])  # 3 not approved, 6-8 skipped
    assert covered(6, 8, gaps) and covered(7, 7, gaps) and covered(3, 3, gaps)
    assert not covered(3, 6, gaps)  # 4 and 5 are approved numbers
    assert not covered(8, 9, gaps)
