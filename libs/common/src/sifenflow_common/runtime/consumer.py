"""The consumer pattern (style §7): slow work outside, then one short transaction.

A handler does its slow or external work (build, sign, SOAP, render) and returns ``Effects``; the
``Consumer`` then commits the inbox claim of the incoming message, the appends (with expected
versions) and the outbox rows atomically, and only then lets the bus ack. Deliveries handled at the
same time share one transaction (group commit, ``EventStore.commit_batch``); each still gets its
own outcome. A duplicate delivery is dropped by the inbox; a ConcurrencyError re-runs the handler
(which reloads the stream) a few times before it counts as a failure for the bus' retry/parking.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from sifenflow_common.bus.ports import Unretryable
from sifenflow_common.db.coalesce import Coalescer
from sifenflow_common.eventstore.ports import (
    AppendRequest,
    ConcurrencyError,
    DuplicateMessage,
    EventStore,
    PendingCommit,
)
from sifenflow_common.messages.envelope import Envelope, Message
from sifenflow_common.messages.registry import MessageRegistry, UnknownMessageType
from sifenflow_common.runtime.logging import bound_to, get_logger
from sifenflow_common.runtime.metrics import Metrics

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Append:
    """Append ``events`` to ``stream`` which must be at ``expected_version`` (0: new stream)."""

    stream: str
    expected_version: int
    events: Sequence[Message]


@dataclass(frozen=True, slots=True)
class Effects:
    """What a handler decided: appends (their events are also published) and messages to send."""

    appends: Sequence[Append] = ()
    send: Sequence[Message] = ()


NOTHING = Effects()
Handler = Callable[[Envelope, Message], Awaitable[Effects | None]]


class Consumer:
    """A bus handler running ``handlers`` (wire type → handler) with the inbox/outbox pattern."""

    def __init__(
        self,
        store: EventStore,
        handlers: Mapping[str, Handler],
        *,
        consumer: str,
        producer: str,
        registry: MessageRegistry,
        metrics: Metrics | None = None,
        conflict_retries: int = 3,
        precheck: bool = False,
    ) -> None:
        """``precheck=True`` reads the inbox before running the handler, so a redelivered message
        skips its slow work (one more query per message)."""
        self.store = store
        self.handlers = dict(handlers)
        self.consumer = consumer
        self.producer = producer
        self.registry = registry
        self.metrics = metrics
        self.conflict_retries = conflict_retries
        self.precheck = precheck
        # Deliveries committed while a commit is running share the next transaction; a
        # ConcurrencyError or DuplicateMessage comes back to its own delivery only.
        self.committer: Coalescer[PendingCommit, bool] = Coalescer(
            functools.partial(store.commit_batch, consumer), max_batch=256
        )

    @property
    def types(self) -> list[str]:
        return sorted(self.handlers)

    def _envelopes(self, incoming: Envelope, messages: Sequence[Message], salt: str) -> list[Envelope]:
        # Deterministic ids: re-running a handler for the same delivery yields the same message ids,
        # so anything that slipped through twice is caught as a duplicate by the store.
        return [
            incoming.caused(
                m,
                producer=self.producer,
                message_id=uuid.uuid5(incoming.message_id, f"{self.consumer}:{salt}{i}"),
            )
            for i, m in enumerate(messages)
        ]

    async def commit(self, incoming: Envelope, effects: Effects) -> bool:
        """Commit ``effects`` with the inbox claim; False when the message was already processed.
        Raises ConcurrencyError when a stream moved since the handler read it."""
        item = PendingCommit(
            incoming.message_id,
            [
                AppendRequest(a.stream, a.expected_version, self._envelopes(incoming, a.events, f"a{n}."))
                for n, a in enumerate(effects.appends)
            ],
            self._envelopes(incoming, effects.send, "s"),
        )
        try:
            return await self.committer.submit(item)
        except DuplicateMessage:
            return False

    async def __call__(self, incoming: Envelope) -> None:
        handler = self.handlers[incoming.type]
        labels = (self.consumer, self.consumer, incoming.type)
        started = time.perf_counter()
        with bound_to(incoming, service=self.consumer):
            try:
                if self.precheck and await self.store.processed(self.consumer, incoming.message_id):
                    applied = False
                else:
                    applied = await self._run(handler, incoming)
            except Exception:
                if self.metrics:
                    self.metrics.failures.labels(*labels).inc()
                log.exception("handler failed")
                raise
            elapsed = time.perf_counter() - started
            if self.metrics:
                self.metrics.latency.labels(*labels).observe(elapsed)
                (self.metrics.handled if applied else self.metrics.duplicates).labels(*labels).inc()
            if applied:
                log.info("message handled", ms=round(elapsed * 1000, 1))
            else:
                log.info("duplicate delivery dropped")

    async def _run(self, handler: Handler, incoming: Envelope) -> bool:
        try:
            message = self.registry.parse(incoming)
        except (ValidationError, UnknownMessageType) as exc:
            raise Unretryable(f"{incoming.type}: {exc}") from exc
        for attempt in range(1, self.conflict_retries + 1):
            effects = await handler(incoming, message) or NOTHING
            try:
                return await self.commit(incoming, effects)
            except ConcurrencyError:
                if attempt == self.conflict_retries:
                    raise
                log.info("stream moved meanwhile; deciding again", attempt=attempt)
        raise AssertionError("unreachable")
