"""TenantDirectory on the PostgreSQL repositories of sifenflow_common.tenants."""

from __future__ import annotations

import uuid

from sifenflow_common.tenants.input import TenantInput
from sifenflow_common.tenants.model import Role, Tenant
from sifenflow_common.tenants.repository import ApiKeyRecord, ApiKeyRepository, TenantRepository


class PgTenantDirectory:
    def __init__(self, tenants: TenantRepository, keys: ApiKeyRepository) -> None:
        self._tenants = tenants
        self._keys = keys

    async def authenticate(self, token: str) -> tuple[ApiKeyRecord, Tenant] | None:
        return await self._keys.authenticate(token)

    async def get_tenant(self, ref: str) -> Tenant | None:
        return await self._tenants.get_by_ref(ref)

    async def create_tenant(self, data: TenantInput) -> Tenant:
        return await self._tenants.create(data)

    async def replace_certificate(self, tenant_id: uuid.UUID, p12: bytes, password: str | None) -> Tenant:
        return await self._tenants.replace_certificate(tenant_id, p12, password)

    async def create_key(self, tenant_id: uuid.UUID, role: Role, label: str) -> tuple[ApiKeyRecord, str]:
        return await self._keys.create(tenant_id, role, label)

    async def revoke_key(self, key_id: uuid.UUID) -> ApiKeyRecord | None:
        return await self._keys.revoke(key_id)

    async def list_keys(self, tenant_id: uuid.UUID) -> list[ApiKeyRecord]:
        return await self._keys.list_for_tenant(tenant_id)
