"""Fault injection: make the simulator fail the way SIFEN and its network do, deterministically.

A ``FaultPlan`` is a seed plus rules; rules are tried in order for each request of the operations
they name, each fires with its ``probability`` (drawn from ``random.Random(seed)``, so a run is
reproducible) and at most ``count`` times. Set by config (``--faults FILE.json``) or at runtime with
``PUT /admin/faults``. Kinds:

* ``latency`` (adds ``latency_ms`` then answers normally), ``http_500`` (SOAP Receiver fault),
  ``http_503`` (HTML "Service Unavailable"), ``reset`` (TCP reset after reading the request),
  ``timeout`` (hangs ``hang_seconds``), ``html`` (200 with a load-balancer page), ``malformed``
  (200 with truncated XML);
* ``lote_en_proceso``: each lote answers 0361 for its first ``polls`` queries;
* ``lote_no_encolado``: lote reception answers 0301.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FaultKind(StrEnum):
    LATENCY = "latency"
    HTTP_500 = "http_500"
    HTTP_503 = "http_503"
    RESET = "reset"
    TIMEOUT = "timeout"
    HTML = "html"
    MALFORMED = "malformed"
    LOTE_EN_PROCESO = "lote_en_proceso"
    LOTE_NO_ENCOLADO = "lote_no_encolado"


HTTP_KINDS = frozenset(
    {
        FaultKind.LATENCY,
        FaultKind.HTTP_500,
        FaultKind.HTTP_503,
        FaultKind.RESET,
        FaultKind.TIMEOUT,
        FaultKind.HTML,
        FaultKind.MALFORMED,
    }
)


class FaultConfigError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        self.code = "FALLA_INVALIDA"
        self.path = path
        super().__init__(message)


@dataclass
class FaultRule:
    kind: FaultKind
    operations: frozenset[str] | None = None  # body roots (rEnviDe, rEnvioLote...); None = all
    probability: float = 1.0
    count: int | None = None  # remaining firings; None = unlimited
    latency_ms: int = 0
    hang_seconds: float = 30.0
    polls: int = 1  # lote_en_proceso

    def applies_to(self, operation: str) -> bool:
        return self.operations is None or operation in self.operations

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "operations": sorted(self.operations) if self.operations is not None else None,
            "probability": self.probability,
            "count": self.count,
            "latency_ms": self.latency_ms,
            "hang_seconds": self.hang_seconds,
            "polls": self.polls,
        }


@dataclass
class FaultPlan:
    seed: int = 0
    rules: list[FaultRule] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "rules": [r.as_dict() for r in self.rules]}


def plan_from_dict(data: dict[str, Any]) -> FaultPlan:
    if not isinstance(data, dict):
        raise FaultConfigError("$", "La configuración de fallas debe ser un objeto")
    rules = []
    for i, raw in enumerate(data.get("rules") or []):
        path = f"$.rules[{i}]"
        try:
            kind = FaultKind(str(raw.get("kind")))
        except ValueError as exc:
            raise FaultConfigError(f"{path}.kind", f"Tipo de falla desconocido: {raw.get('kind')!r}") from exc
        probability = float(raw.get("probability", 1.0))
        if not 0.0 <= probability <= 1.0:
            raise FaultConfigError(f"{path}.probability", "probability debe estar entre 0 y 1")
        ops = raw.get("operations")
        rules.append(
            FaultRule(
                kind=kind,
                operations=frozenset(str(o) for o in ops) if ops else None,
                probability=probability,
                count=int(raw["count"]) if raw.get("count") is not None else None,
                latency_ms=int(raw.get("latency_ms", 0)),
                hang_seconds=float(raw.get("hang_seconds", 30.0)),
                polls=int(raw.get("polls", 1)),
            )
        )
    return FaultPlan(seed=int(data.get("seed", 0)), rules=rules)


class FaultInjector:
    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self.configure(plan or FaultPlan())

    def configure(self, plan: FaultPlan) -> None:
        with self._lock:
            self.plan = plan
            self._rng = random.Random(plan.seed)

    def _draw(self, kinds: frozenset[FaultKind], operation: str) -> FaultRule | None:
        with self._lock:
            for rule in self.plan.rules:
                if rule.kind not in kinds or not rule.applies_to(operation):
                    continue
                if rule.count is not None and rule.count <= 0:
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                if rule.count is not None:
                    rule.count -= 1
                return rule
        return None

    def http_fault(self, operation: str) -> FaultRule | None:
        """The HTTP-level fault to apply to this request, if any (latency rules included)."""
        return self._draw(HTTP_KINDS, operation)

    def lote_not_queued(self) -> bool:
        return self._draw(frozenset({FaultKind.LOTE_NO_ENCOLADO}), "rEnvioLote") is not None

    def in_process_polls(self) -> int:
        """How many first polls of every lote answer 0361 (0 when no such rule)."""
        with self._lock:
            for rule in self.plan.rules:
                if rule.kind is FaultKind.LOTE_EN_PROCESO and (rule.count is None or rule.count > 0):
                    return rule.polls
        return 0
