"""Groups signed documents into lotes: ≤ ``max_size`` per (tenant, type), flushed when full or
``max_wait`` seconds after the first document joined.

Each joining handler waits until its lote has been recorded (the flush committed), so the message
that brought the document is acked only once the document is safely inside a lote: a crash before
that redelivers it, and the inbox keeps it from landing in two lotes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
Flush = Callable[[list[T]], Awaitable[None]]


@dataclass
class _Batch(Generic[T]):
    flush: Flush[T]
    items: list[T] = field(default_factory=list)
    done: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    timer: asyncio.TimerHandle | None = None
    closed: bool = False


class LoteAssembler(Generic[T]):
    def __init__(self, max_size: int = 50, max_wait: float = 0.3) -> None:
        if not 1 <= max_size <= 50:
            raise ValueError("a lote holds 1 to 50 documents (MT v150)")
        self.max_size = max_size
        self.max_wait = max_wait
        self._open: dict[Hashable, _Batch[T]] = {}
        self._flushing: set[asyncio.Task[None]] = set()

    async def join(self, key: Hashable, item: T, flush: Flush[T]) -> None:
        """Add ``item`` to the open lote of ``key``; returns once that lote was flushed (raises
        what the flush raised, so the caller's message is retried)."""
        batch = self._open.get(key)
        if batch is None:
            batch = _Batch(flush)
            self._open[key] = batch
            loop = asyncio.get_running_loop()
            batch.timer = loop.call_later(self.max_wait, self._close, key, batch)
        batch.items.append(item)
        if len(batch.items) >= self.max_size:
            self._close(key, batch)
        await asyncio.shield(batch.done)

    def _close(self, key: Hashable, batch: _Batch[T]) -> None:
        if self._open.get(key) is batch:
            del self._open[key]
        if batch.timer is not None:
            batch.timer.cancel()
            batch.timer = None
        if batch.closed:
            return
        batch.closed = True
        task = asyncio.create_task(self._run(batch))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _run(self, batch: _Batch[T]) -> None:
        try:
            await batch.flush(list(batch.items))
        except Exception as exc:  # every waiter gets the failure and its message is retried
            batch.done.set_exception(exc)
        else:
            batch.done.set_result(None)

    def pending(self) -> int:
        return sum(len(b.items) for b in self._open.values())
