"""Paraguay local time as SIFEN writes it (dFecFirma, dFeEmiDE: ``YYYY-MM-DDThh:mm:ss``, no offset).

Plain time arithmetic, usable anywhere (the gateway checks event windows with it; the signer and
verifier stamp and read signing times).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo


def _paraguay_zone() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/Asuncion")
    except Exception:  # no tz database on the host: Paraguay is UTC-3 all year since Oct 2024
        return timezone(timedelta(hours=-3), "PYT")


PARAGUAY_TZ = _paraguay_zone()


def paraguay_local(moment: datetime) -> datetime:
    """Naive Paraguay local time of ``moment`` (naive input is taken as Paraguay time already)."""
    if moment.tzinfo is None:
        return moment.replace(microsecond=0)
    return moment.astimezone(PARAGUAY_TZ).replace(microsecond=0, tzinfo=None)


def parse_local_datetime(text: str) -> datetime:
    """``YYYY-MM-DDThh:mm:ss`` (SIFEN fecHhmmss) → naive datetime; ValueError otherwise."""
    text = text.strip()
    if len(text) != 19 or text[10] != "T":
        raise ValueError(f"not YYYY-MM-DDThh:mm:ss: {text!r}")
    return datetime.fromisoformat(text)


def paraguay_to_utc(local_naive: datetime) -> datetime:
    """Aware UTC instant of a naive Paraguay local time (dFecFirma, dFeEmiDE)."""
    return local_naive.replace(tzinfo=PARAGUAY_TZ).astimezone(UTC)
