"""One delivery attempt: sign the body with the subscription secret (HMAC-SHA256, see
``sifenflow_common.webhooks.signature``) and POST it with a timeout. Redirects are not followed
(a redirect could lead to an address the URL policy refuses)."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from sifenflow_common.webhooks.model import AttemptResult, ClaimedDelivery
from sifenflow_common.webhooks.signature import HEADER, header_value

USER_AGENT = "sifenflow-webhooks/1"


def headers_for(delivery: ClaimedDelivery, secret: str, body: bytes, now: float) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        HEADER: header_value(secret, int(now), body),
        "X-Sifenflow-Delivery": str(delivery.id),
        "X-Sifenflow-Attempt": str(delivery.attempt),
    }


async def post(
    session: aiohttp.ClientSession, delivery: ClaimedDelivery, secret: str, timeout_s: float
) -> AttemptResult:
    data = delivery.body.encode("utf-8")
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        async with session.post(
            delivery.url,
            data=data,
            headers=headers_for(delivery, secret, data, time.time()),
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            allow_redirects=False,
        ) as response:
            status = response.status
            await response.read()
            if not 200 <= status < 300:
                error = f"HTTP {status}"
    except TimeoutError:
        error = f"sin respuesta en {timeout_s:g} s"
    except (aiohttp.ClientError, OSError, asyncio.CancelledError) as exc:
        if isinstance(exc, asyncio.CancelledError):
            raise
        error = f"{type(exc).__name__}: {exc}"[:500]
    return AttemptResult(status, error, int((time.monotonic() - started) * 1000))
