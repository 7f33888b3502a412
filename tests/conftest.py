"""Shared test configuration. Area-specific fixtures live in the conftest.py of each test folder."""

from __future__ import annotations

import pytest

from sifenflow_common.sifen.reference import reference_dir


@pytest.fixture(scope="session")
def sifen_reference_dir():  # type: ignore[no-untyped-def]
    return reference_dir()
