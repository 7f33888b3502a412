"""Shared test configuration. Area-specific fixtures live in the conftest.py of each test folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The official SIFEN bundle (XSDs, examples, catalogs) beside the checkout, as in CI. The product
# never reads it; tests that compare against it or use its 2019 examples do, through shared_sifen().
SHARED_SIFEN = Path(__file__).resolve().parents[2] / "shared" / "sifen"
REQUIRE_SHARED_VAR = "SIFENFLOW_REQUIRE_SHARED"


def shared_sifen() -> Path:
    """The official bundle at ``../shared/sifen``. When absent the calling test is skipped, naming
    it, unless ``SIFENFLOW_REQUIRE_SHARED=1`` (CI), where the test fails instead."""
    if (SHARED_SIFEN / "xsd").is_dir():
        return SHARED_SIFEN
    reason = f"needs the official SIFEN bundle at ../shared/sifen ({SHARED_SIFEN}), absent here"
    if os.environ.get(REQUIRE_SHARED_VAR) == "1":
        pytest.fail(f"{reason} and {REQUIRE_SHARED_VAR}=1")
    pytest.skip(reason)


def shared_examples_dir() -> Path:
    """The official Sept 2019 example messages (``../shared/sifen/examples``), see shared_sifen()."""
    return shared_sifen() / "examples"


@pytest.fixture(scope="session")
def shared_sifen_dir() -> Path:
    return shared_sifen()
