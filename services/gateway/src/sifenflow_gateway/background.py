"""Fire-and-forget work tied to the app's lifetime (cancelled on shutdown), failures logged."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from aiohttp import web

from sifenflow_common.runtime.logging import get_logger
from sifenflow_gateway.keys import BACKGROUND

log = get_logger(__name__)


def spawn(app: web.Application, work: Coroutine[Any, Any, None], what: str) -> None:
    async def guarded() -> None:
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background work failed", what=what)

    task = asyncio.create_task(guarded())
    app[BACKGROUND].add(task)
    task.add_done_callback(app[BACKGROUND].discard)
