"""The e2e stack fixture: the same suite runs against both deployment shapes."""

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
    factory = processes_stack if request.param == "processes" else standalone_stack
    async with factory(tmp) as running:
        yield running
