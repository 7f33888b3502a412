"""RabbitMQ bus (aio-pika): robust connection, publisher confirms, durable quorum queues
``<service>.<type>`` bound to ``sifenflow.events`` (topic) and ``sifenflow.commands`` (direct).

Retries: a failed delivery is re-published (with confirms) to ``<queue>.retry.<ms>``, a classic
queue whose message TTL dead-letters it back to ``<queue>``; the original is acked only after that
publish is confirmed. After ``max_attempts`` the message goes to the one parking queue
``sifenflow.parked`` with headers ``x-queue``, ``x-error``, ``x-attempts``, ``x-parked-at``. One
parking queue (rather than one per queue) lets ``sifenflow bus parked`` list everything without the
management plugin.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from pydantic import ValidationError

from sifenflow_common.bus.packing import handle_all, unpack
from sifenflow_common.bus.ports import (
    PARKING_QUEUE,
    BusHandler,
    BusObserver,
    NullObserver,
    ParkedMessage,
    Unretryable,
    UnroutableMessage,
    delivering,
    describe_error,
    message_age_s,
)
from sifenflow_common.bus.topology import RetryPolicy, Topology
from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.outbox.writer import amqp_headers

QUORUM = {"x-queue-type": "quorum"}


class RabbitBus:
    def __init__(
        self,
        url: str,
        *,
        topology: Topology | None = None,
        retry: RetryPolicy | None = None,
        prefetch: int = 20,
        observer: BusObserver | None = None,
        connection_name: str = "sifenflow",
        reconnect_interval: float = 1.0,
    ) -> None:
        self.url = url
        self.topology = topology or Topology()
        # "" is RabbitMQ's default exchange (straight to a queue: retries, parking, requeue)
        self._exchanges = self.topology.exchanges | {""}
        self.retry = retry or RetryPolicy()
        self.prefetch = prefetch
        self.observer = observer or NullObserver()
        self.connection_name = connection_name
        self.reconnect_interval = reconnect_interval
        self.connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._consume_channels: list[AbstractChannel] = []
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._consumed: list[str] = []  # queue names this process consumes (for queue_depths)
        self._depth_channel: AbstractChannel | None = None
        self._stopping = False
        self.declared_queues: set[str] = set()

    @property
    def parking_queue(self) -> str:
        return self.topology.prefix + PARKING_QUEUE

    async def start(self) -> RabbitBus:
        try:
            self.connection = await aio_pika.connect_robust(
                self.url,
                client_properties={"connection_name": self.connection_name},
                reconnect_interval=self.reconnect_interval,
            )
        except (OSError, aio_pika.exceptions.AMQPError) as exc:
            raise RuntimeError(f"RabbitMQ is not reachable: {exc}") from exc
        self._publish_channel = await self.connection.channel(publisher_confirms=True)
        await self._publish_channel.declare_exchange(
            self.topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        await self._publish_channel.declare_exchange(
            self.topology.commands_exchange, aio_pika.ExchangeType.DIRECT, durable=True
        )
        await self._publish_channel.declare_queue(self.parking_queue, durable=True, arguments=QUORUM)
        self.declared_queues.add(self.parking_queue)
        return self

    @property
    def ready(self) -> bool:
        return (
            self.connection is not None
            and not self.connection.is_closed
            and self.connection.connected.is_set()
        )

    def _channel(self) -> AbstractChannel:
        if self._publish_channel is None:
            raise RuntimeError("RabbitBus.start() was not awaited")
        return self._publish_channel

    async def publish(self, envelope: Envelope) -> None:
        exchange, key = self.topology.route(envelope)
        await self.publish_raw(
            exchange,
            key,
            envelope.to_bytes(),
            str(envelope.message_id),
            envelope.type,
            amqp_headers(envelope),
        )

    async def publish_raw(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        message_id: str,
        message_type: str,
        headers: dict[str, Any],
    ) -> None:
        """Publish pre-serialised bytes; returns after the broker's confirm (raises on nack).

        Goes straight to the aiormq channel under the robust one: the relay publishes thousands of
        messages per second and aio-pika's Message object costs more CPU than the broker round trip.
        """
        if exchange not in self._exchanges:
            # RabbitMQ would close the shared publish channel (404), failing every publish in flight
            raise UnroutableMessage(f"exchange {exchange!r} does not exist (routing key {routing_key!r})")
        channel = await self._channel().get_underlay_channel()
        properties = aiormq.spec.Basic.Properties(
            content_type="application/json",
            delivery_mode=2,  # persistent
            message_id=message_id,
            message_type=message_type,
            headers=headers,
        )
        confirm = await channel.basic_publish(  # type: ignore[call-arg]  # concrete Channel has wait=
            # wait=False: do not hold the channel lock until the frame hits the socket; the broker's
            # confirm is still awaited below.
            body,
            exchange=exchange,
            routing_key=routing_key,
            properties=properties,
            mandatory=False,
            wait=False,
        )
        if not isinstance(confirm, aiormq.spec.Basic.Ack):
            raise aio_pika.exceptions.DeliveryError(None, confirm)  # type: ignore[arg-type]

    async def subscribe(self, service: str, types: Sequence[str], handler: BusHandler) -> None:
        assert self.connection is not None, "RabbitBus.start() was not awaited"
        channel = await self.connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=self.prefetch)
        self._consume_channels.append(channel)
        events = await channel.get_exchange(self.topology.events_exchange, ensure=False)
        commands = await channel.get_exchange(self.topology.commands_exchange, ensure=False)
        for message_type in types:
            name = self.topology.queue(service, message_type)
            queue = await channel.declare_queue(name, durable=True, arguments=QUORUM)
            # A type is either an event or a command: binding both exchanges routes whichever it is.
            await queue.bind(events, routing_key=message_type)
            await queue.bind(commands, routing_key=message_type)
            for delay in sorted(set(self.retry.delays_ms())):
                retry_name = self.topology.retry_queue(name, delay)
                await channel.declare_queue(
                    retry_name,
                    durable=True,
                    arguments={
                        "x-message-ttl": delay,
                        "x-dead-letter-exchange": "",
                        "x-dead-letter-routing-key": name,
                    },
                )
                self.declared_queues.add(retry_name)
            self.declared_queues.add(name)
            self._consumed.append(name)
            tag = await queue.consume(self._consumer(name, handler))
            self._consumers.append((queue, tag))

    def _consumer(self, queue: str, handler: BusHandler) -> Any:
        async def on_message(message: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._in_flight.add(task)
            try:
                await self._handle(queue, message, handler)
            finally:
                self._in_flight.discard(task)

        return on_message

    async def _handle(self, queue: str, message: AbstractIncomingMessage, handler: BusHandler) -> None:
        attempt = int((message.headers or {}).get("x-attempt", 1))  # type: ignore[arg-type]
        try:
            envelopes = unpack(message.body, message.headers)
        except ValidationError as exc:
            await self._park(queue, message, attempt, f"MALFORMED_ENVELOPE: {exc}")
            return
        envelope = envelopes[0]
        self.observer.received(queue, envelope.type, message_age_s(envelope))
        try:
            with delivering(attempt, self.retry.max_attempts):
                await handle_all(handler, envelopes)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)
            raise
        except Exception as exc:  # retry or park; never lose the message
            if attempt >= self.retry.max_attempts or isinstance(exc, Unretryable):
                await self._park(queue, message, attempt, describe_error(exc))
                return
            delay = self.retry.delay_ms(attempt)
            headers = dict(message.headers or {})
            headers["x-attempt"] = attempt + 1
            headers["x-last-error"] = describe_error(exc)[:500]
            await self._settle_by_republish(
                message, "", self.topology.retry_queue(queue, delay), headers, envelope.type
            )
            self.observer.retried(queue, envelope.type, attempt)
            return
        await message.ack()

    async def _park(self, queue: str, message: AbstractIncomingMessage, attempt: int, error: str) -> None:
        headers = dict(message.headers or {})
        headers.update(
            {
                "x-queue": queue,
                "x-error": error[:2000],
                "x-attempts": attempt,
                "x-parked-at": datetime.now(UTC).isoformat(),
            }
        )
        await self._settle_by_republish(message, "", self.parking_queue, headers, message.type or "")
        self.observer.parked(queue, message.type or "")

    async def _settle_by_republish(
        self,
        message: AbstractIncomingMessage,
        exchange: str,
        routing_key: str,
        headers: dict[str, Any],
        message_type: str,
    ) -> None:
        """Move a delivery: publish the copy (confirmed) first, then ack the original. A crash in
        between duplicates it, which the consumer's inbox absorbs; it never loses it."""
        try:
            await self.publish_raw(
                exchange, routing_key, message.body, message.message_id or "", message_type, headers
            )
        except Exception:
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)
            raise
        await message.ack()

    async def queue_depths(self) -> dict[str, int]:
        """Ready messages per consumed queue and in the parking queue (passive declares on a
        channel of their own; a failed one is replaced next time)."""
        assert self.connection is not None, "RabbitBus.start() was not awaited"
        if self._depth_channel is None or self._depth_channel.is_closed:
            self._depth_channel = await self.connection.channel()
        depths: dict[str, int] = {}
        try:
            # the underlying channel: aio-pika's passive declare answers a stale count of 0
            channel = await self._depth_channel.get_underlay_channel()
            for name in [*self._consumed, self.parking_queue]:
                declared = await channel.queue_declare(name, passive=True)
                depths[name] = declared.message_count or 0
        except Exception:
            self._depth_channel = None
            raise
        return depths

    async def stop_consuming(self) -> None:
        self._stopping = True
        for queue, tag in self._consumers:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)
        self._consumers.clear()
        for _ in range(3):  # deliveries already received start their handler task first
            await asyncio.sleep(0)
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    async def close(self) -> None:
        await self.stop_consuming()
        if self._depth_channel is not None and not self._depth_channel.is_closed:
            with contextlib.suppress(Exception):
                await self._depth_channel.close()
        if self.connection is not None:
            await self.connection.close()
            self.connection = None

    async def _drain_parked(self) -> tuple[AbstractChannel, list[AbstractIncomingMessage]]:
        """Take every parked message unacked on a private channel (closing it puts back the rest)."""
        assert self.connection is not None, "RabbitBus.start() was not awaited"
        channel = await self.connection.channel()
        queue = await channel.declare_queue(self.parking_queue, durable=True, arguments=QUORUM)
        taken: list[AbstractIncomingMessage] = []
        while (msg := await queue.get(no_ack=False, fail=False)) is not None:
            taken.append(msg)
        return channel, taken

    @staticmethod
    def _parked_view(msg: AbstractIncomingMessage) -> ParkedMessage:
        headers = msg.headers or {}
        try:
            envelopes = unpack(msg.body, headers)
        except ValidationError:
            envelopes = []
        envelope: Envelope | None = envelopes[0] if len(envelopes) == 1 else None  # None: a pack
        parked_at = str(headers.get("x-parked-at") or datetime.now(UTC).isoformat())
        return ParkedMessage(
            queue=str(headers.get("x-queue", "")),
            envelope=envelope,
            message_id=msg.message_id or "",
            message_type=msg.type or "",
            attempts=int(headers.get("x-attempts", 0)),  # type: ignore[arg-type]
            error=str(headers.get("x-error", "")),
            parked_at=datetime.fromisoformat(parked_at),
        )

    async def parked(self, queues: Sequence[str] | None = None) -> list[ParkedMessage]:
        channel, taken = await self._drain_parked()
        try:
            views = [self._parked_view(m) for m in taken]
            return [v for v in views if queues is None or v.queue in queues]
        finally:
            await channel.close()

    async def requeue_parked(self, queues: Sequence[str] | None = None) -> int:
        channel, taken = await self._drain_parked()
        sent = 0
        try:
            for msg in taken:
                view = self._parked_view(msg)
                if (queues is not None and view.queue not in queues) or not view.queue:
                    continue
                headers = {
                    k: v
                    for k, v in (msg.headers or {}).items()
                    if k
                    not in {"x-attempt", "x-queue", "x-error", "x-attempts", "x-parked-at", "x-last-error"}
                }
                await self.publish_raw("", view.queue, msg.body, view.message_id, view.message_type, headers)
                await msg.ack()
                sent += 1
        finally:
            await channel.close()
        return sent

    async def delete_declared(self) -> None:
        """Delete every queue and the exchanges this bus declared (test clean-up)."""
        assert self.connection is not None
        channel = await self.connection.channel()
        for name in sorted(self.declared_queues):
            with contextlib.suppress(Exception):
                await channel.queue_delete(name)
        for name in (self.topology.events_exchange, self.topology.commands_exchange):
            with contextlib.suppress(Exception):
                await channel.exchange_delete(name)
        await channel.close()
