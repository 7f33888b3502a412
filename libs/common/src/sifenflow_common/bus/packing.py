"""Packs: several envelopes of one routing key in one broker message.

The outbox relay publishes consecutive outbox rows with the same exchange, routing key and headers
(the 50 ``document.requested`` of a lote, the ``document.built`` of a group commit) as one AMQP
message whose body is a JSON array of the envelopes and whose ``x-pack`` header holds their count.
The broker then stores, routes and delivers one message instead of fifty, which is most of its
CPU per document. A consumer handles every envelope of a pack on its own (inbox, appends,
outbox as usual) and acks the message when all succeeded; when any fails the whole pack is
retried or parked, and the envelopes already handled are dropped as duplicates by the inbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter

from sifenflow_common.bus.ports import Unretryable
from sifenflow_common.messages.envelope import Envelope

PACK_HEADER = "x-pack"
PACK_MAX = 50  # envelopes per message: a lote's worth
_ENVELOPES = TypeAdapter(list[Envelope])


def pack(bodies: Sequence[bytes]) -> bytes:
    """One body for several serialized envelopes (each already a JSON object)."""
    return b"[" + b",".join(bodies) + b"]"


def is_pack(headers: Mapping[str, Any] | None) -> bool:
    return bool(headers and headers.get(PACK_HEADER))


def unpack(body: bytes, headers: Mapping[str, Any] | None) -> list[Envelope]:
    """The envelopes of a broker message: a pack's, or the single one. Raises pydantic's
    ValidationError for a body that is neither."""
    if is_pack(headers):
        return _ENVELOPES.validate_json(body)
    return [Envelope.from_bytes(body)]


async def handle_all(handler: Callable[[Envelope], Awaitable[None]], envelopes: Sequence[Envelope]) -> None:
    """Run ``handler`` for every envelope of a delivery (concurrently: a pack's documents share
    the consumer's group commits); raises when any failed, an ``Unretryable`` only when every
    failure was one, so one poison envelope cannot stop the others' retries."""
    if len(envelopes) == 1:
        await handler(envelopes[0])
        return
    outcomes = await asyncio.gather(*(handler(e) for e in envelopes), return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    for failure in failures:
        if isinstance(failure, asyncio.CancelledError) or not isinstance(failure, Exception):
            raise failure
    if failures:
        retryable = [f for f in failures if not isinstance(f, Unretryable)]
        raise (retryable or failures)[0]
