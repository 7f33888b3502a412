"""Random tokens for links, sessions and CSRF: shown once, stored as SHA-256 only.

256 bits from ``secrets``: a fast hash is enough (nothing to brute-force, unlike a password).
"""

from __future__ import annotations

import hashlib
import re
import secrets

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalize_email(raw: object) -> str | None:
    """The address in lower case, or None when it does not look like one (at most 254 characters)."""
    if not isinstance(raw, str):
        return None
    email = raw.strip().lower()
    return email if len(email) <= 254 and _EMAIL.match(email) else None
