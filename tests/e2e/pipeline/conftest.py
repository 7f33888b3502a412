"""The e2e stack fixture: the same suite runs against both deployment shapes (the processes one
with two replicas of every service)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.e2e.pipeline.stack import Stack, processes_stack, standalone_stack


@pytest_asyncio.fixture(scope="module", params=["processes", "standalone"], loop_scope="module")
async def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    tmp: Path = tmp_path_factory.mktemp(f"e2e-{request.param}")
    if request.param == "processes":  # two copies of every service, as a scaled deployment runs
        async with processes_stack(tmp, replicas=2) as running:
            yield running
    else:
        async with standalone_stack(tmp) as running:
            yield running
