"""Adapters of the builder's ports: tenants from Postgres, the document engine."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from sifenflow_builder.ports import BuildContext, BuiltXml
from sifenflow_common.documents.engine import build_document
from sifenflow_common.tenants.repository import TenantRepository


class RepositoryTenantParams:
    def __init__(self, tenants: TenantRepository) -> None:
        self._tenants = tenants

    async def context(self, tenant_id: UUID) -> BuildContext:
        tenant = await self._tenants.get(tenant_id)
        if tenant is None:
            raise LookupError(str(tenant_id))
        return BuildContext(params=dict(tenant.params), environment=tenant.environment.value)


class Engine:
    """``sifenflow_common.documents.engine.build_document`` behind the builder's port."""

    def build(self, params: dict[str, Any], data: dict[str, Any], *, environment: str) -> BuiltXml:
        built = build_document(params, data, environment=cast(Any, environment))
        return BuiltXml(cdc=built.cdc, xml=built.xml)
