"""Coalescer: concurrent single-item calls become batched calls, each caller gets its own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from sifenflow_common.db.coalesce import Coalescer


class Recorder:
    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    async def double(self, items: Sequence[int]) -> list[int | BaseException]:
        self.calls.append(list(items))
        await asyncio.sleep(0.01)  # a query in flight: later submissions queue for the next batch
        return [ValueError(f"odd {i}") if i % 2 else i * 2 for i in items]


async def test_items_submitted_together_share_one_call_and_get_their_own_result() -> None:
    recorder = Recorder()
    coalescer: Coalescer[int, int] = Coalescer(recorder.double)
    results = await asyncio.gather(*(coalescer.submit(i) for i in range(10)), return_exceptions=True)
    assert recorder.calls == [list(range(10))]
    assert results[0::2] == [0, 4, 8, 12, 16]
    odd = zip(range(1, 10, 2), results[1::2], strict=True)
    assert all(isinstance(r, ValueError) and str(r) == f"odd {i}" for i, r in odd)


async def test_items_arriving_during_a_call_wait_for_the_next_batch_bounded_by_max_batch() -> None:
    recorder = Recorder()
    coalescer: Coalescer[int, int] = Coalescer(recorder.double, max_batch=3, max_flushes=1)
    first = asyncio.create_task(coalescer.submit(0))
    await asyncio.sleep(0.001)  # the first call is in flight
    rest = await asyncio.gather(*(coalescer.submit(i) for i in range(2, 16, 2)))
    assert await first == 0
    assert rest == [i * 2 for i in range(2, 16, 2)]
    assert recorder.calls[0] == [0]
    assert [len(c) for c in recorder.calls[1:]] == [3, 3, 1]


async def test_a_failed_call_fails_every_waiter_of_that_batch_only() -> None:
    attempts = 0

    async def flaky(items: Sequence[int]) -> list[int | BaseException]:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionError("database unreachable")
        return list(items)

    coalescer: Coalescer[int, int] = Coalescer(flaky)
    failed = await asyncio.gather(coalescer.submit(1), coalescer.submit(2), return_exceptions=True)
    assert all(isinstance(f, ConnectionError) for f in failed)
    assert await coalescer.submit(3) == 3


@pytest.mark.parametrize("n", [1, 250])
async def test_every_item_is_answered(n: int) -> None:
    recorder = Recorder()
    coalescer: Coalescer[int, int] = Coalescer(recorder.double, max_batch=100)
    results = await asyncio.gather(*(coalescer.submit(2 * i) for i in range(n)))
    assert results == [4 * i for i in range(n)]
    assert sum(len(c) for c in recorder.calls) == n
