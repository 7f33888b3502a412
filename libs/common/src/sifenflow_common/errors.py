"""The one shape of a rejected input: stable code, JSON path, Spanish message.

Every layer that rejects user input (document validation, the gateway, the CLI) reports a list of
``ValidationIssue``; the gateway turns them into HTTP 4xx bodies and the CLI into JSON on stderr.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    code: str  # stable UPPER_SNAKE identifier, e.g. RUC_DV_INVALIDO
    path: str  # JSON path of the offending field, e.g. "data.cliente.ruc" or "data.items[2].cantidad"
    message: str  # Spanish, for the integrator

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class DocumentInvalid(ValueError):
    """Raised with every issue of a document at once (never only the first one)."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        if not issues:
            raise ValueError("DocumentInvalid needs at least one issue")
        self.issues = issues
        super().__init__("; ".join(f"{i.path}: {i.message}" for i in issues[:5]))

    def as_list(self) -> list[dict[str, Any]]:
        return [i.as_dict() for i in self.issues]
