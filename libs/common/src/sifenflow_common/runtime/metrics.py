"""Prometheus metrics of a service, in a registry of its own (no module-level globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        labels = ["service", "queue", "type"]
        self.service = service
        self.handled = Counter(
            "sifenflow_messages_handled", "Messages handled successfully", labels, registry=self.registry
        )
        self.failures = Counter(
            "sifenflow_handler_failures", "Handler failures", labels, registry=self.registry
        )
        self.retries = Counter(
            "sifenflow_message_retries", "Deliveries sent to retry", labels, registry=self.registry
        )
        self.parked_total = Counter(
            "sifenflow_messages_parked", "Messages parked", labels, registry=self.registry
        )
        self.duplicates = Counter(
            "sifenflow_duplicates_dropped", "Deliveries dropped by the inbox", labels, registry=self.registry
        )
        self.latency = Histogram(
            "sifenflow_handler_seconds",
            "Handler latency",
            labels,
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.outbox_lag = Gauge(
            "sifenflow_outbox_lag_seconds", "Age of the oldest unpublished outbox row", registry=self.registry
        )
        self.outbox_published = Counter(
            "sifenflow_outbox_published", "Outbox rows published with confirms", registry=self.registry
        )
        self.projection_lag = Gauge(
            "sifenflow_projection_lag_events",
            "Events behind the checkpoint",
            ["projection"],
            registry=self.registry,
        )
        # exposed as sifenflow_projection_parked_total (listed by `sifenflow projections parked`)
        self.projection_parked = Counter(
            "sifenflow_projection_parked",
            "Events a projection could not apply, set aside",
            ["projection"],
            registry=self.registry,
        )

    # BusObserver
    def retried(self, queue: str, message_type: str, attempt: int) -> None:
        self.retries.labels(self.service, queue, message_type).inc()

    def parked(self, queue: str, message_type: str) -> None:
        self.parked_total.labels(self.service, queue, message_type).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
