"""Prometheus metrics of the gateway, in a registry of its own (fed by metrics_http)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sifenflow_http_requests", "HTTP requests", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "sifenflow_http_request_seconds",
            "HTTP request latency",
            ["route", "method"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 15),
            registry=self.registry,
        )
        self.documents = Counter(
            "sifenflow_documents_accepted", "Documents accepted (numbered)", ["tipo"], registry=self.registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
