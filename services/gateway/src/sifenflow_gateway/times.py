"""Dates in responses: Paraguay local time with its offset and whole seconds
(``2026-12-07T14:05:09-03:00``), the form FacturaSend clients read in ``de/estado``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sifenflow_common.sifen.paraguay_time import PARAGUAY_TZ


def py_datetime(moment: datetime) -> str:
    """An aware instant in Paraguay time; a naive one is taken as UTC (how the stores keep them)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(PARAGUAY_TZ).replace(microsecond=0).isoformat()


def py_time(value: datetime | str | None) -> str | None:
    """``value`` (a datetime or an ISO 8601 text) in the response form; other text is returned as is."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return py_datetime(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if parsed.tzinfo is None:  # SIFEN writes its local times without an offset
        parsed = parsed.replace(tzinfo=PARAGUAY_TZ)
    return py_datetime(parsed)


# Date keys of the views the libraries build (tenants, API keys, webhooks) with UTC isoformat texts.
VIEW_DATE_KEYS = frozenset(
    {
        "createdAt",
        "revokedAt",
        "certificateNotAfter",
        "creado",
        "proximoIntento",
        "ultimoIntento",
        "entregado",
    }
)


def local_dates(view: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``view`` with its date keys in the response form."""
    return {
        k: py_time(v) if k in VIEW_DATE_KEYS and isinstance(v, str | datetime) else v for k, v in view.items()
    }


def json_default(value: Any) -> Any:
    """``json.dumps`` fallback of every JSON response: dates as above, anything else as text."""
    if isinstance(value, datetime):
        return py_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
