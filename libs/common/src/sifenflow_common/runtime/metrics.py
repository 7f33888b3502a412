"""Prometheus metrics of a service, in a registry of its own (no module-level globals).

Every worker process has one ``Metrics`` (``ServiceDeps.metrics``); a metric a service does not
feed stays empty. deploy/monitoring/ (alerts and dashboard) names only metrics defined here or in
the gateway's ``GatewayMetrics`` (checked by tests/unit/deploy/test_monitoring.py).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

AGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600)
SIFEN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 90)


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
        self.message_age = Histogram(
            "sifenflow_message_age_seconds",
            "Age of a message (since it was created) when a delivery of it reaches its handler",
            labels,
            buckets=AGE_BUCKETS,
            registry=self.registry,
        )
        self.queue_messages = Gauge(
            "sifenflow_queue_messages",
            "Messages waiting in a queue this process consumes",
            ["service", "queue"],
            registry=self.registry,
        )
        self.parked_messages = Gauge(
            "sifenflow_parked_messages", "Messages in the parking queue", registry=self.registry
        )
        self.outbox_lag = Gauge(
            "sifenflow_outbox_lag_seconds", "Age of the oldest unpublished outbox row", registry=self.registry
        )
        self.recovery_redriven = Counter(
            "sifenflow_recovery_redriven",
            "Streams the recovery sweep re-drove, by the stage that gets them (builder, signer, sender, "
            "poll, reconcile)",
            ["stage"],
            registry=self.registry,
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
        # Fleet view, sampled from the database by the store service.
        self.documents = Gauge(
            "sifenflow_documents", "Documents per state (read model)", ["state"], registry=self.registry
        )
        self.documents_oldest = Gauge(
            "sifenflow_documents_oldest_age_seconds",
            "Seconds since the least recently changed document of a non-final state changed",
            ["state"],
            registry=self.registry,
        )
        self.certificate_expiry = Gauge(
            "sifenflow_certificate_expiry_timestamp_seconds",
            "When the signing certificate of an active emisor expires (Unix time)",
            ["tenant"],
            registry=self.registry,
        )
        self.timbrado_expiry = Gauge(
            "sifenflow_timbrado_expiry_timestamp_seconds",
            "End of validity of a timbrado of an active emisor that has one (Unix time)",
            ["tenant", "timbrado"],
            registry=self.registry,
        )
        # Outcomes of the workers' external calls.
        self.sifen_latency = Histogram(
            "sifenflow_sifen_request_seconds",
            "SIFEN web service calls by operation and response code (dCodRes, or the transport error)",
            ["operation", "code"],
            buckets=SIFEN_BUCKETS,
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "sifenflow_webhook_deliveries",
            "Webhook delivery attempts by outcome (delivered, retry, failed)",
            ["outcome"],
            registry=self.registry,
        )
        self.mail_messages = Counter(
            "sifenflow_mail_messages",
            "E-mails by outcome (sent, retry, failed, skipped)",
            ["outcome"],
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
    def received(self, queue: str, message_type: str, age_s: float) -> None:
        self.message_age.labels(self.service, queue, message_type).observe(age_s)

    def retried(self, queue: str, message_type: str, attempt: int) -> None:
        self.retries.labels(self.service, queue, message_type).inc()

    def parked(self, queue: str, message_type: str) -> None:
        self.parked_total.labels(self.service, queue, message_type).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
