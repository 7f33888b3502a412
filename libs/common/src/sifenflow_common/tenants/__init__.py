"""Tenants (one per emisor company), their API keys and their gapless document numbering."""

from sifenflow_common.tenants.model import (
    SIFEN_BASE_URLS,
    Environment,
    Role,
    Tenant,
    TenantSecrets,
)

__all__ = ["SIFEN_BASE_URLS", "Environment", "Role", "Tenant", "TenantSecrets"]
