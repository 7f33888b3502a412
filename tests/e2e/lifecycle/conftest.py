"""One lifecycle stack (every service its own process, real PostgreSQL + RabbitMQ + simulator)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.e2e.lifecycle.stack import LifecycleE2E, lifecycle_stack


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def lc(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LifecycleE2E]:
    async with lifecycle_stack(tmp_path_factory.mktemp("lifecycle-e2e")) as running:
        yield running
