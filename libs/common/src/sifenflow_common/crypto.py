"""Secrets at rest: AES-256-GCM with a key id, under keys derived from the master key.

A sealed value is the text ``v1.<key id>.<base64url(nonce || ciphertext+tag)>``. The key id lets the
master key rotate: old values keep naming the key that sealed them. The associated data (for example
``tenant:<uuid>:certificate``) binds a ciphertext to its owner, so a value copied into another row
does not decrypt. Neither this module nor its objects ever print key material.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"
_NONCE_BYTES = 12
_HKDF_INFO = b"sifenflow secrets at rest v1"


class SecretDecryptionError(ValueError):
    """A sealed value is malformed, names an unknown key, or fails authentication."""


def derive_key(master_key: str) -> tuple[str, bytes]:
    """(key id, 32-byte AES key) for a master key string; the id is a short hash, never the key."""
    if len(master_key) < 16:
        raise ValueError("the master key must have at least 16 characters")
    raw = master_key.encode("utf-8")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(raw)
    key_id = hashlib.sha256(b"sifenflow key id:" + key).hexdigest()[:8]
    return key_id, key


class SecretBox:
    """Seals and opens secrets; the first master key seals, every given key can open."""

    def __init__(self, master_keys: list[str]) -> None:
        if not master_keys:
            raise ValueError("at least one master key is required")
        derived = [derive_key(k) for k in master_keys]
        self._current_id = derived[0][0]
        self._keys: dict[str, AESGCM] = {kid: AESGCM(key) for kid, key in derived}

    @property
    def key_id(self) -> str:
        return self._current_id

    def __repr__(self) -> str:
        return f"SecretBox(key_id={self._current_id!r}, keys={len(self._keys)})"

    def seal(self, plaintext: bytes, associated_data: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._keys[self._current_id].encrypt(nonce, plaintext, associated_data.encode("utf-8"))
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{_VERSION}.{self._current_id}.{body}"

    def open(self, token: str, associated_data: str) -> bytes:
        parts = token.split(".", 2)
        if len(parts) != 3 or parts[0] != _VERSION:
            raise SecretDecryptionError("valor cifrado con formato desconocido")
        aead = self._keys.get(parts[1])
        if aead is None:
            raise SecretDecryptionError(f"clave maestra desconocida: {parts[1]}")
        try:
            blob = base64.urlsafe_b64decode(parts[2].encode("ascii"))
        except (ValueError, UnicodeEncodeError) as exc:
            raise SecretDecryptionError("valor cifrado no es base64 válido") from exc
        if len(blob) <= _NONCE_BYTES:
            raise SecretDecryptionError("valor cifrado demasiado corto")
        try:
            return aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], associated_data.encode("utf-8"))
        except InvalidTag as exc:
            raise SecretDecryptionError("el valor cifrado no se pudo autenticar") from exc

    def seal_text(self, text: str, associated_data: str) -> str:
        return self.seal(text.encode("utf-8"), associated_data)

    def open_text(self, token: str, associated_data: str) -> str:
        return self.open(token, associated_data).decode("utf-8")
