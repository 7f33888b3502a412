"""Names of the RabbitMQ topology (style §3), as values shared by the outbox, relay and consumers."""

from __future__ import annotations

from dataclasses import dataclass

from sifenflow_common.messages.envelope import Envelope, Kind

EVENTS_EXCHANGE = "sifenflow.events"  # topic, routing key = event type
COMMANDS_EXCHANGE = "sifenflow.commands"  # direct, routing key = command type


@dataclass(frozen=True, slots=True)
class Topology:
    """All names, with an optional prefix so test runs and deployments never collide."""

    prefix: str = ""

    @property
    def events_exchange(self) -> str:
        return self.prefix + EVENTS_EXCHANGE

    @property
    def commands_exchange(self) -> str:
        return self.prefix + COMMANDS_EXCHANGE

    @property
    def exchanges(self) -> frozenset[str]:
        """The exchanges messages are published to; anything else is unroutable."""
        return frozenset({self.events_exchange, self.commands_exchange})

    def exchange_for(self, kind: Kind) -> str:
        return self.events_exchange if kind == "event" else self.commands_exchange

    def route(self, envelope: Envelope) -> tuple[str, str]:
        """(exchange, routing key) of an envelope."""
        return self.exchange_for(envelope.kind), envelope.type

    def queue(self, service: str, message_type: str) -> str:
        """Durable quorum queue ``<service>.<type>`` (e.g. ``signer.document.built``)."""
        return f"{self.prefix}{service}.{message_type}"

    def retry_queue(self, queue: str, delay_ms: int) -> str:
        return f"{queue}.retry.{delay_ms}"

    def parking_queue(self, queue: str) -> str:
        return f"{queue}.dlq"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempt ``n`` (1-based) that fails waits ``delay_ms(n)`` before attempt ``n+1``; after
    ``max_attempts`` failures the message is parked with its error."""

    max_attempts: int = 5
    base_delay_ms: int = 500
    backoff: float = 4.0

    def delay_ms(self, failed_attempt: int) -> int:
        return int(self.base_delay_ms * self.backoff ** (failed_attempt - 1))

    def delays_ms(self) -> list[int]:
        return [self.delay_ms(n) for n in range(1, self.max_attempts)]
