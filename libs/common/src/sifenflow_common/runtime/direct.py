"""Subscribe handlers that run their own short transaction (inbox claim + append + outbox).

Most handlers return effects for the runtime's consumer to commit; a few need more than one claim
per transaction (the sender's lote assembly claims up to 50 deliveries at once) or an attempt
marker before an external call. They commit themselves and are subscribed with ``subscribe``
from an async ``build``, so the queues exist and are consumed before the service reports ready.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping

from sifenflow_common.bus.ports import Bus
from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.runtime.logging import bound_to, get_logger

DirectHandler = Callable[[Envelope], Awaitable[None]]
log = get_logger(__name__)


async def subscribe(bus: Bus, service: str, table: Mapping[str, DirectHandler]) -> None:
    """Consume ``table`` (wire type → handler) on queues ``<service>.<type>``; the runtime's
    shutdown drains them (``bus.stop_consuming``). Log lines carry the envelope's ids, as with
    the runtime's consumer."""

    async def dispatch(envelope: Envelope) -> None:
        started = time.perf_counter()
        with bound_to(envelope, service=service):
            try:
                await table[envelope.type](envelope)
            except Exception:
                log.exception("handler failed")
                raise
            log.info("message handled", ms=round((time.perf_counter() - started) * 1000, 1))

    await bus.subscribe(service, sorted(table), dispatch)
