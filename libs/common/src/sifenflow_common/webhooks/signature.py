"""``X-Sifenflow-Signature: t=<unix seconds>,v1=<hex>``: HMAC-SHA256 with the subscription secret
over ``"<t>." + body`` (the exact bytes sent). Receivers recompute it, compare in constant time and
refuse a ``t`` further than the tolerance from their clock, so a captured request cannot be
replayed later. Several ``v1=`` entries may appear (secret rotation); one match is enough."""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "X-Sifenflow-Signature"
DEFAULT_TOLERANCE_S = 300
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def compute(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def header_value(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={compute(secret, timestamp, body)}"


def parse_header(value: str) -> tuple[int | None, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t" and item.isdigit():
            timestamp = int(item)
        elif key == "v1" and item:
            signatures.append(item)
    return timestamp, signatures


def verify(
    secret: str, value: str, body: bytes, *, now: float, tolerance_s: int = DEFAULT_TOLERANCE_S
) -> bool:
    """True when ``value`` signs ``body`` with ``secret`` and its timestamp is within tolerance."""
    timestamp, signatures = parse_header(value)
    if timestamp is None or not signatures or abs(now - timestamp) > tolerance_s:
        return False
    expected = compute(secret, timestamp, body)
    return any(hmac.compare_digest(expected, s) for s in signatures)
