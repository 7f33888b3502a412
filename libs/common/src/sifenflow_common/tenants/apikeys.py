"""API key tokens: `api_key_<lookup id><secret>`, shown once, stored as SHA-256 only.

The first 12 characters after the prefix are a public lookup id (indexed, safe to log); the rest is
a 192-bit secret. The stored hash covers the whole token, so a leaked database gives no usable key.
The token has enough entropy that a fast hash is fine (no password-style KDF needed).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

PREFIX = "api_key_"
LOOKUP_LEN = 12
SECRET_LEN = 32  # base62 characters, ~190 bits
_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    token: str  # shown to the user once, never stored
    lookup_id: str
    token_hash: str

    def __repr__(self) -> str:
        return f"GeneratedKey(lookup_id={self.lookup_id!r}, token=***)"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def generate_key() -> GeneratedKey:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(LOOKUP_LEN + SECRET_LEN))
    token = PREFIX + body
    return GeneratedKey(token=token, lookup_id=body[:LOOKUP_LEN], token_hash=hash_token(token))


def lookup_id_of(token: str) -> str | None:
    """The lookup id of a well-formed token, or None (then the token is rejected without a query)."""
    if not token.startswith(PREFIX):
        return None
    body = token[len(PREFIX) :]
    if len(body) != LOOKUP_LEN + SECRET_LEN or any(c not in _ALPHABET for c in body):
        return None
    return body[:LOOKUP_LEN]


def token_matches(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)
