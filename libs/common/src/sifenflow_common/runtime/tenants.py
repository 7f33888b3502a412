"""The tenants repository as the workers open it: Postgres pool + the master key from settings."""

from __future__ import annotations

import asyncpg

from sifenflow_common.crypto import SecretBox
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.tenants.repository import TenantRepository

# Only used when a tenant is created without a URL; each tenant stores its own SIFEN base URL.
DEFAULT_SIMULATOR_URL = "http://127.0.0.1:8081"


def tenant_repository(settings: Settings, pool: asyncpg.Pool) -> TenantRepository:
    if settings.master_key is None:
        raise RuntimeError("MASTER_KEY is required to open tenant secrets")
    return TenantRepository(pool, SecretBox([settings.master_key.get_secret_value()]), DEFAULT_SIMULATOR_URL)
