"""The delivery loop: claim due deliveries (lease), POST them concurrently, record each attempt and
schedule the next one (exponential backoff with jitter) until the delivery's 24 h window ends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp

from sifenflow_common.crypto import SecretDecryptionError
from sifenflow_common.runtime.logging import get_logger
from sifenflow_common.webhooks.model import AttemptResult, ClaimedDelivery
from sifenflow_common.webhooks.schedule import next_attempt
from sifenflow_common.webhooks.settings import WebhookSettings
from sifenflow_common.webhooks.urls import UrlRefused, check_literal
from sifenflow_notifier.ports import DeliveryStore
from sifenflow_notifier.webhooks import post

log = get_logger(__name__)


class Dispatcher:
    def __init__(
        self,
        store: DeliveryStore,
        session: aiohttp.ClientSession,
        settings: WebhookSettings,
        outcome: Callable[[str], None] | None = None,
    ) -> None:
        """``outcome`` hears how each recorded attempt ended: delivered, retry or failed (metrics)."""
        self.outcome = outcome
        self.store = store
        self.session = session
        self.settings = settings
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """New deliveries were queued: look now instead of at the next poll."""
        self._wake.set()

    async def attempt(self, delivery: ClaimedDelivery) -> AttemptResult:
        if not delivery.subscription_active:
            return AttemptResult(None, "suscripción eliminada", 0)
        try:
            # a host name is resolved and checked by the session's own resolver (CheckedResolver)
            check_literal(delivery.url, allow_private=self.settings.allow_private_urls)
            secret = self.store.open_secret(delivery.subscription_id, delivery.secret_sealed)
        except UrlRefused as exc:
            return AttemptResult(None, exc.message, 0)
        except SecretDecryptionError as exc:
            return AttemptResult(None, f"secreto ilegible: {exc}", 0)
        return await post(self.session, delivery, secret, self.settings.timeout_s)

    async def deliver(self, delivery: ClaimedDelivery) -> None:
        try:
            result = await self.attempt(delivery)
            retry_at = None
            if not result.ok and delivery.subscription_active:
                now = datetime.now(UTC)
                retry_at = next_attempt(delivery.attempt, now, delivery.expires_at, self.settings)
            await self.store.record(delivery, result, retry_at)
            if self.outcome is not None:
                self.outcome("delivered" if result.ok else "retry" if retry_at is not None else "failed")
            if not result.ok:
                log.info(
                    "webhook attempt failed",
                    delivery=str(delivery.id),
                    attempt=delivery.attempt,
                    error=result.error,
                    retry_at=retry_at.isoformat() if retry_at else None,
                )
        except Exception:
            # the lease expires and the delivery is claimed again
            log.exception("webhook delivery crashed", delivery=str(delivery.id))
        finally:
            self._slots.release()
            self._wake.set()

    async def run_once(self) -> int:
        """Claim as many due deliveries as there are free slots and start them; returns how many."""
        free = self.settings.concurrency - len(self._in_flight)
        # claim in batches: one claim query per quarter of the slots, not one per finished delivery
        if free <= 0 or (self._in_flight and free < max(1, self.settings.concurrency // 4)):
            return 0
        lease = self.settings.timeout_s + self.settings.lease_margin_s
        claimed = await self.store.claim(free, lease)
        for delivery in claimed:
            await self._slots.acquire()
            task = asyncio.create_task(self.deliver(delivery))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(claimed)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                started = await self.run_once()
            except Exception:
                log.exception("webhook claim failed")
                started = 0
            if started:
                await asyncio.sleep(0)  # let the started attempts run before claiming more
                if len(self._in_flight) < self.settings.concurrency:
                    continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
                _done, pending = await asyncio.wait(
                    waiters, timeout=self.settings.poll_interval_s, return_when=asyncio.FIRST_COMPLETED
                )
                for w in pending:
                    w.cancel()
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
