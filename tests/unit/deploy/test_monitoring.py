"""deploy/monitoring names only metrics the code defines: every metric in the alert rules and in the
Grafana dashboard is a sample name of the services' registries (runtime Metrics, GatewayMetrics),
with only the labels that metric has; rules and panels are well formed."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from sifenflow_common.runtime.metrics import Metrics
from sifenflow_common.sifen_client.client import NO_CODE
from sifenflow_common.sifen_client.errors import TransportProblem
from sifenflow_gateway.metrics import GatewayMetrics
from tests.unit.deploy.compose_config import ROOT

pytestmark = pytest.mark.unit

MONITORING = ROOT / "deploy" / "monitoring"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gauge": ("",),
}
REFERENCE = re.compile(r"\b(sifenflow_[A-Za-z0-9_]+)(\{[^}]*\})?")
MATCHER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*\"([^\"]*)\"")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")


def exposed() -> dict[str, set[str]]:
    """Sample name → label names, for every metric the services register."""
    samples: dict[str, set[str]] = {}
    for holder in (Metrics("any"), GatewayMetrics()):
        for metric in vars(holder).values():
            if not isinstance(metric, MetricWrapperBase):
                continue
            labels = set(metric._labelnames)
            for suffix in SUFFIXES[metric._type]:
                samples[metric._name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return samples


def problems(expr: str, samples: dict[str, set[str]]) -> list[str]:
    found: list[str] = []
    labels: set[str] = set()
    references = REFERENCE.findall(expr)
    if not references:
        found.append(f"no sifenflow metric in {expr!r}")
    for name, matchers in references:
        if name not in samples:
            found.append(f"{name} is not a metric of the code")
            continue
        labels |= samples[name]
        for label, _, _ in MATCHER.findall(matchers):
            if label not in samples[name]:
                found.append(f"{name} has no label {label}")
    for group in GROUPING.findall(expr):
        for label in (g.strip() for g in group.split(",") if g.strip()):
            if label not in labels:
                found.append(f"grouping by {label}, which none of its metrics has")
    return found


def _rules() -> list[dict[str, Any]]:
    data = yaml.safe_load((MONITORING / "alerts.yaml").read_text(encoding="utf-8"))
    return [rule for group in data["groups"] for rule in group["rules"]]


def _panel_exprs() -> list[str]:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text(encoding="utf-8"))
    return [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]


def test_alert_rules_are_well_formed_and_cover_the_required_conditions() -> None:
    rules = _rules()
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        if "for" in rule:
            assert re.fullmatch(r"[0-9]+[smh]", rule["for"]), rule["alert"]
    exprs = " ".join(r["expr"] for r in rules)
    for needed in (
        "sifenflow_documents_oldest_age_seconds",  # stuck documents
        "sifenflow_sifen_request_seconds_count",  # SIFEN error rate
        "sifenflow_parked_messages",  # parked messages
        "sifenflow_certificate_expiry_timestamp_seconds",
        "sifenflow_timbrado_expiry_timestamp_seconds",
    ):
        assert needed in exprs, needed


@pytest.mark.parametrize("source", ["alerts", "dashboard"])
def test_every_metric_named_exists_in_the_code(source: str) -> None:
    samples = exposed()
    exprs = [r["expr"] for r in _rules()] if source == "alerts" else _panel_exprs()
    assert exprs
    found = [f"{expr[:60]}…: {p}" for expr in exprs for p in problems(expr, samples)]
    assert not found, "\n".join(found)


def test_a_missing_metric_or_label_is_reported() -> None:
    samples = exposed()
    assert problems("rate(sifenflow_documents_total[5m])", samples) == [
        "sifenflow_documents_total is not a metric of the code"
    ]
    assert problems('sum by (queue) (sifenflow_sifen_request_seconds_count{opration="x"})', samples) == [
        "sifenflow_sifen_request_seconds_count has no label opration",
        "grouping by queue, which none of its metrics has",
    ]


def test_the_sifen_error_alert_knows_every_transport_problem() -> None:
    (rule,) = [r for r in _rules() if r["alert"] == "SifenflowSifenErrorRate"]
    (codes,) = [value for label, op, value in MATCHER.findall(rule["expr"]) if label == "code" and op == "=~"]
    assert {p.value for p in TransportProblem} | {NO_CODE} <= set(codes.split("|"))


def test_the_dashboard_is_a_grafana_dashboard_on_a_prometheus_variable() -> None:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text(encoding="utf-8"))
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    (variable,) = dashboard["templating"]["list"]
    assert (variable["name"], variable["type"], variable["query"]) == (
        "datasource",
        "datasource",
        "prometheus",
    )
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"])
