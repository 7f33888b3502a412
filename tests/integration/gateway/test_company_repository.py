"""Company edits on the real PostgreSQL: numbering per environment, the edit and the switch with
their history events, secrets sealed and never in the history."""

from __future__ import annotations

import json
import uuid
from datetime import date

import asyncpg
import pytest

from sifenflow_common.crypto import SecretBox
from sifenflow_common.tenants import numbering
from sifenflow_common.tenants.changes import parse_tenant_patch
from sifenflow_common.tenants.editing import TenantEditor
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Environment
from sifenflow_common.tenants.repository import TenantRepository
from tests.unit.gateway.samples import tenant_body, unique_ruc

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

BOX = SecretBox(["a-master-key-for-company-tests-0123"])


async def test_each_environment_numbers_its_series_apart(gw_pool: asyncpg.Pool) -> None:
    data, _ = parse_tenant_input(tenant_body(f"n{uuid.uuid4().hex[:10]}", ruc=unique_ruc()))
    assert data is not None
    tenant = await TenantRepository(gw_pool, BOX, "http://sim").create(data)
    keys = [
        numbering.NumberingKey(tenant.id, "12558946", "001", "001", 1, env) for env in ("test", "produccion")
    ]
    async with gw_pool.acquire() as conn, conn.transaction():
        assert await numbering.allocate(conn, keys[0], 3) == [1, 2, 3]
        assert await numbering.allocate(conn, keys[1]) == [1]
        await numbering.record_use(conn, keys[0], 1, uuid.uuid4(), "h1", allocated=True)
        await numbering.record_use(conn, keys[1], 1, uuid.uuid4(), "h2", allocated=True)  # no conflict
        with pytest.raises(numbering.NumberAlreadyUsedError):
            await numbering.record_use(conn, keys[1], 1, uuid.uuid4(), "h3", allocated=True)


async def test_an_edit_and_a_switch_are_stored_with_their_history(gw_pool: asyncpg.Pool) -> None:
    data, _ = parse_tenant_input(tenant_body(f"e{uuid.uuid4().hex[:10]}", ruc=unique_ruc()))
    assert data is not None
    repo = TenantRepository(gw_pool, BOX, "http://sim")
    tenant = await repo.create(data)
    editor = TenantEditor(gw_pool, BOX)
    await editor.record_created(tenant, actor="cli", provisioned=["csc"])
    body = {"cscId": "7", "csc": "ROTATED000000000000000000000007", "logo": None, "nombreFantasia": "Acme"}
    patch, issues = parse_tenant_patch(tenant, body, today=date(2026, 12, 7))
    assert patch is not None, issues
    edited = await editor.apply(tenant, patch, actor="api-key:k1 (erp)")
    assert edited.csc_id == "0007" and edited.params["nombreFantasia"] == "Acme"
    assert (await repo.load_secrets(tenant.id)).csc == "ROTATED000000000000000000000007"
    sealed = await gw_pool.fetchval("SELECT csc_sealed FROM tenants WHERE id = $1", tenant.id)
    assert "ROTATED" not in sealed
    switched = await editor.set_environment(
        edited, Environment.TEST, "https://sifen-test.set.gov.py", actor="cli"
    )
    assert switched.environment is Environment.TEST and switched.sifen_base_url.startswith(
        "https://sifen-test"
    )
    history = await editor.history(tenant.id)
    assert [(h["version"], h["accion"], h["quien"]) for h in history] == [
        (1, "creada", "cli"),
        (2, "editada", "api-key:k1 (erp)"),
        (3, "ambiente", "cli"),
    ]
    assert "ROTATED" not in json.dumps(history)
    assert history[2]["cambios"] == [{"campo": "ambiente", "antes": "simulado", "despues": "test"}]
