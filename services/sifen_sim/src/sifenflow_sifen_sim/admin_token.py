"""The admin API's token: always required. Given (``--admin-token`` / ``SIFEN_SIM_ADMIN_TOKEN``),
or kept in ``<data-dir>/admin_token`` (created once, mode 0600), or, without a data directory,
generated for this run only."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

TOKEN_FILE = "admin_token"


def ensure_admin_token(data_dir: Path | None) -> str:
    if data_dir is None:
        return secrets.token_urlsafe(24)
    path = data_dir / TOKEN_FILE
    with contextlib.suppress(FileNotFoundError):
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(token + "\n")
    return token
