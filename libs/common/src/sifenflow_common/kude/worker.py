"""``RenderWorker``: renders KuDEs in one dedicated thread, off the event loop.

weasyprint's font configuration is not thread-safe, so the thread owns its ``KudeRenderer``
(created there on first use). One worker per process is enough for a service that mostly waits;
scale by running more processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from sifenflow_common.kude.markup import Environment, Format
from sifenflow_common.kude.render import KudeRenderer


class RenderWorker:
    def __init__(self, name: str = "kude-render") -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._renderer: KudeRenderer | None = None

    def _render(
        self, xmls: Sequence[bytes], format: Format, environment: Environment | None, logo: bytes | None
    ) -> bytes:
        if self._renderer is None:  # created in the render thread, used only there
            self._renderer = KudeRenderer()
        if len(xmls) == 1:
            return self._renderer.render(xmls[0], format=format, environment=environment, logo=logo)
        return self._renderer.render_many(xmls, format=format, environment=environment, logo=logo)

    async def render(
        self,
        xmls: Sequence[bytes],
        *,
        format: Format = "a4",
        environment: Environment | None = None,
        logo: bytes | None = None,
    ) -> bytes:
        """One PDF with the KuDE of each signed rDE (raises ``KudeError`` on bad input)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._render, list(xmls), format, environment, logo)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
