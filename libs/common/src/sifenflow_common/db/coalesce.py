"""Run concurrent single-item database calls as one batched call (the "data loader" pattern).

A busy consumer handles many deliveries at once, and each would otherwise make its own round trip
(one socket write and one context switch each on a saturated machine). Items submitted while a
batch is in flight wait for the next one; the first item of an idle coalescer starts a batch on
the next event-loop turn, so everything submitted in the same turn joins it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# One outcome per item: a value, or an exception for that item alone.
BatchCall = Callable[[Sequence[Item]], Awaitable[Sequence[Result | BaseException]]]


class Coalescer(Generic[Item, Result]):
    def __init__(self, call: BatchCall[Item, Result], *, max_batch: int = 200, max_flushes: int = 2) -> None:
        self.call = call
        self.max_batch = max_batch
        self.max_flushes = max_flushes
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flushes: set[asyncio.Task[None]] = set()
        self.batches = 0  # calls made (for benchmarks and tests)

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if len(self._flushes) < self.max_flushes:
            task = asyncio.create_task(self._flush())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            self.batches += 1
            try:
                outcomes = await self.call([item for item, _ in batch])
            except Exception as exc:  # the whole call failed (e.g. database unreachable): all waiters fail
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
