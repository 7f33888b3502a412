"""In-process bus with RabbitMQ's semantics: a queue per (service, type), fan-out of a type to
every bound queue, ``prefetch`` concurrent deliveries per queue, retries with increasing delay,
parking after the last attempt. Used by ``make run`` and unit tests.

Given a ``settler`` (``outbox.settle``), a message that came from the outbox is settled only once
every queue bound to it finished its delivery, so its outbox row outlives a stop or a crash as a
durable queue would (a parked message stays unsettled: the next start delivers it again)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from sifenflow_common.bus.packing import unpack
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


class Settler(Protocol):
    def settled(self, message_id: UUID) -> None: ...


@dataclass
class _Track:
    """Deliveries of one outbox message still unfinished (one per bound queue)."""

    message_id: UUID
    remaining: int


@dataclass
class _Delivery:
    envelope: Envelope
    attempt: int = 1
    track: _Track | None = None


@dataclass
class _Queue:
    name: str
    items: asyncio.Queue[_Delivery] = field(default_factory=asyncio.Queue)
    workers: list[asyncio.Task[None]] = field(default_factory=list)


class InProcessBus:
    def __init__(
        self,
        topology: Topology | None = None,
        retry: RetryPolicy | None = None,
        prefetch: int = 10,
        observer: BusObserver | None = None,
        settler: Settler | None = None,
    ) -> None:
        self.topology = topology or Topology()
        self.retry = retry or RetryPolicy()
        self.prefetch = prefetch
        self.observer = observer or NullObserver()
        self._bindings: dict[str, list[str]] = {}  # routing key -> queue names
        self._queues: dict[str, _Queue] = {}
        self._parked: list[ParkedMessage] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._busy: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._settler = settler
        self.settles_outbox = settler is not None  # the relay then leaves rows for ``settler``
        self._parked_tracks: dict[tuple[str, UUID], _Track] = {}
        self._from_outbox: set[UUID] = set()  # handed over by publish_raw, tracked by publish
        self.published: list[Envelope] = []  # every envelope published, for assertions in tests

    async def publish(self, envelope: Envelope) -> None:
        self.published.append(envelope)
        queues = self._bindings.get(envelope.type, [])
        track = None
        if self._settler is not None and envelope.message_id in self._from_outbox:
            self._from_outbox.discard(envelope.message_id)
            track = _Track(envelope.message_id, len(queues))
            if not queues:
                self._settler.settled(envelope.message_id)
        for queue in queues:
            self._queues[queue].items.put_nowait(_Delivery(envelope, track=track))

    def _finished(self, track: _Track | None) -> None:
        if track is None or self._settler is None:
            return
        track.remaining -= 1
        if track.remaining == 0:
            self._settler.settled(track.message_id)

    async def publish_raw(
        self,
        exchange: str,
        routing_key: str,
        body: bytes,
        message_id: str,
        message_type: str,
        headers: dict[str, Any],
    ) -> None:
        """What the outbox relay calls: the body is an envelope or a pack of them (``packing``);
        in process a pack costs nothing per message, so its envelopes are delivered one by one."""
        if exchange not in self.topology.exchanges:
            raise UnroutableMessage(f"exchange {exchange!r} does not exist (routing key {routing_key!r})")
        for envelope in unpack(body, headers):
            if self._settler is not None:
                self._from_outbox.add(envelope.message_id)
            await self.publish(envelope)

    async def subscribe(self, service: str, types: Sequence[str], handler: BusHandler) -> None:
        for message_type in types:
            name = self.topology.queue(service, message_type)
            if name in self._queues:
                raise ValueError(f"queue {name} already has a consumer in this process")
            queue = _Queue(name)
            self._queues[name] = queue
            self._bindings.setdefault(message_type, []).append(name)
            queue.workers = [
                asyncio.create_task(self._work(queue, handler), name=f"bus:{name}:{i}")
                for i in range(self.prefetch)
            ]

    async def _work(self, queue: _Queue, handler: BusHandler) -> None:
        me = asyncio.current_task()
        assert me is not None
        while not self._stopping:
            delivery = await queue.items.get()
            self._busy.add(me)
            try:
                await self._deliver(queue, delivery, handler)
            finally:
                self._busy.discard(me)

    async def _deliver(self, queue: _Queue, delivery: _Delivery, handler: BusHandler) -> None:
        self.observer.received(queue.name, delivery.envelope.type, message_age_s(delivery.envelope))
        try:
            with delivering(delivery.attempt, self.retry.max_attempts):
                await handler(delivery.envelope)
            self._finished(delivery.track)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the handler's failure decides retry or parking, never a crash
            env = delivery.envelope
            if delivery.attempt >= self.retry.max_attempts or isinstance(exc, Unretryable):
                self._parked.append(
                    ParkedMessage(
                        queue.name,
                        env,
                        str(env.message_id),
                        env.type,
                        delivery.attempt,
                        describe_error(exc),
                        datetime.now(UTC),
                    )
                )
                if delivery.track is not None:
                    self._parked_tracks[(queue.name, env.message_id)] = delivery.track
                self.observer.parked(queue.name, env.type)
                return
            self.observer.retried(queue.name, env.type, delivery.attempt)
            delay = self.retry.delay_ms(delivery.attempt) / 1000
            retry = _Delivery(env, delivery.attempt + 1, delivery.track)
            loop = asyncio.get_running_loop()
            timer: asyncio.TimerHandle

            def redeliver() -> None:
                self._timers.discard(timer)
                queue.items.put_nowait(retry)

            timer = loop.call_later(delay, redeliver)
            self._timers.add(timer)

    async def stop_consuming(self) -> None:
        """Idle workers stop now; busy ones finish their delivery first (graceful drain)."""
        self._stopping = True
        workers = [t for q in self._queues.values() for t in q.workers]
        for task in workers:
            if task not in self._busy:
                task.cancel()
        for task in workers:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for queue in self._queues.values():
            queue.workers = []

    async def close(self) -> None:
        await self.stop_consuming()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    async def queue_depths(self) -> dict[str, int]:
        depths = {name: queue.items.qsize() for name, queue in self._queues.items()}
        depths[self.topology.prefix + PARKING_QUEUE] = len(self._parked)
        return depths

    async def parked(self, queues: Sequence[str] | None = None) -> list[ParkedMessage]:
        return [p for p in self._parked if queues is None or p.queue in queues]

    async def requeue_parked(self, queues: Sequence[str] | None = None) -> int:
        sent: list[ParkedMessage] = []
        for p in self._parked:
            if (queues is None or p.queue in queues) and p.queue in self._queues and p.envelope:
                track = self._parked_tracks.pop((p.queue, p.envelope.message_id), None)
                self._queues[p.queue].items.put_nowait(_Delivery(p.envelope, track=track))
                sent.append(p)
        self._parked = [p for p in self._parked if p not in sent]
        return len(sent)
