"""Subscribe handlers that run their own short transaction (inbox claim + append + outbox).

Most handlers return effects for the runtime's consumer to commit; a few need more than one claim
per transaction (the sender's lote assembly claims up to 50 deliveries at once) or an attempt
marker before an external call. They commit themselves and are subscribed with ``subscribe``
from an async ``build``, so the queues exist and are consumed before the service reports ready.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from sifenflow_common.bus.ports import Bus
from sifenflow_common.messages.envelope import Envelope

DirectHandler = Callable[[Envelope], Awaitable[None]]


async def subscribe(bus: Bus, service: str, table: Mapping[str, DirectHandler]) -> None:
    """Consume ``table`` (wire type → handler) on queues ``<service>.<type>``; the runtime's
    shutdown drains them (``bus.stop_consuming``)."""

    async def dispatch(envelope: Envelope) -> None:
        await table[envelope.type](envelope)

    await bus.subscribe(service, sorted(table), dispatch)
