"""Wait for a condition instead of sleeping a fixed time (style §9)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    check: Callable[[], T | Awaitable[T]],
    timeout: float = 5.0,  # noqa: ASYNC109 - a polling deadline, not an I/O timeout
    interval: float = 0.02,
) -> T:
    """Call ``check`` until it neither raises AssertionError nor returns a falsy value; return its
    last value. After ``timeout`` seconds the last AssertionError (or a new one) is raised."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            if result is None or result:
                return result  # type: ignore[return-value,unused-ignore]
            error: AssertionError = AssertionError(f"condition still false after {timeout}s")
        except AssertionError as exc:
            error = exc
        if time.monotonic() >= deadline:
            raise error
        await asyncio.sleep(interval)
