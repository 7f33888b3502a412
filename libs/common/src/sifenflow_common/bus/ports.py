"""The bus port: publish envelopes, consume them per service with retries and parking."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sifenflow_common.messages.envelope import Envelope

BusHandler = Callable[[Envelope], Awaitable[None]]
PARKING_QUEUE = "sifenflow.parked"  # the one parking queue (after the topology's prefix)


class UnroutableMessage(Exception):
    """The message names an exchange this bus does not have: publishing it again cannot succeed.
    Raised before anything reaches the broker, so other publishes are not disturbed."""


@dataclass(frozen=True, slots=True)
class ParkedMessage:
    queue: str  # the queue it failed on, e.g. signer.document.built
    envelope: Envelope | None  # None when the body was not a valid envelope
    message_id: str
    message_type: str
    attempts: int
    error: str
    parked_at: datetime


class Bus(Protocol):
    async def publish(self, envelope: Envelope) -> None:
        """Publish and return once the broker confirmed it."""

    async def publish_raw(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        message_id: str,
        message_type: str,
        headers: dict[str, Any],
    ) -> None:
        """Publish a serialised envelope as stored in the outbox (what the relay calls)."""

    async def subscribe(self, service: str, types: Sequence[str], handler: BusHandler) -> None:
        """Consume ``types`` on queues ``<service>.<type>``; a raising handler is retried, then parked."""

    async def stop_consuming(self) -> None:
        """Stop taking new deliveries and wait until in-flight handlers finished (and were acked)."""

    async def close(self) -> None: ...

    async def parked(self, queues: Sequence[str] | None = None) -> list[ParkedMessage]:
        """Parked messages (left parked), optionally only of some queues."""

    async def requeue_parked(self, queues: Sequence[str] | None = None) -> int:
        """Send parked messages back to their queue with a fresh attempt count; returns how many."""

    async def queue_depths(self) -> dict[str, int]:
        """Messages waiting in each queue this process consumes, and in the parking queue."""


def message_age_s(envelope: Envelope) -> float:
    """Seconds since ``envelope`` was created (its producer's clock), never negative."""
    return max(0.0, (datetime.now(UTC) - envelope.occurred_at).total_seconds())


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    """Which delivery of a message a handler is running: ``number`` (1-based) of ``max_attempts``.

    Both buses set it around the handler call (``current_attempt()``), so the handler signature
    stays ``handler(envelope)``. A handler whose failures are retried can tell the last attempt
    and record a final outcome instead of raising into parking (the mailer does)."""

    number: int
    max_attempts: int

    @property
    def last(self) -> bool:
        """No retry follows if this attempt raises (the message would be parked)."""
        return self.number >= self.max_attempts


_ATTEMPT: ContextVar[DeliveryAttempt | None] = ContextVar("sifenflow_delivery_attempt", default=None)


def current_attempt() -> DeliveryAttempt | None:
    """The delivery being handled in this task, or None outside a bus delivery (a handler called
    directly, e.g. by a unit test)."""
    return _ATTEMPT.get()


@contextmanager
def delivering(number: int, max_attempts: int) -> Iterator[DeliveryAttempt]:
    """Make ``current_attempt()`` return this attempt while the handler runs (used by the buses)."""
    attempt = DeliveryAttempt(number, max_attempts)
    token = _ATTEMPT.set(attempt)
    try:
        yield attempt
    finally:
        _ATTEMPT.reset(token)


class Unretryable(Exception):
    """Raised by a handler when retrying cannot help (malformed payload, unknown type): the bus
    parks the message at once instead of spending its retries."""


class BusObserver(Protocol):
    """Hooks for metrics; the runtime passes its Prometheus counters."""

    def received(self, queue: str, message_type: str, age_s: float) -> None:
        """A delivery reaches its handler ``age_s`` seconds after the message was created."""

    def retried(self, queue: str, message_type: str, attempt: int) -> None: ...

    def parked(self, queue: str, message_type: str) -> None: ...


class NullObserver:
    def received(self, queue: str, message_type: str, age_s: float) -> None:
        pass

    def retried(self, queue: str, message_type: str, attempt: int) -> None:
        pass

    def parked(self, queue: str, message_type: str) -> None:
        pass


def describe_error(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:2000]
