"""Tenants, API keys and numbering on the real PostgreSQL (sifenflow_common.tenants)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from sifenflow_common.crypto import SecretBox, SecretDecryptionError
from sifenflow_common.tenants import numbering
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Role
from sifenflow_common.tenants.repository import ApiKeyRepository, TenantExistsError, TenantRepository
from tests.unit.gateway.samples import tenant_body, unique_ruc

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

OLD = "the-old-master-key-0123456789"
NEW = "the-new-master-key-0123456789"


async def _create(pool: asyncpg.Pool, box: SecretBox, **extra: object) -> uuid.UUID:
    data, issues = parse_tenant_input(
        {**tenant_body(f"r{uuid.uuid4().hex[:10]}", with_cert=True, ruc=unique_ruc()), **extra}
    )
    assert data is not None, issues
    return (await TenantRepository(pool, box, "http://sim").create(data)).id


async def test_secrets_survive_master_key_rotation(gw_pool: asyncpg.Pool) -> None:
    tenant_id = await _create(gw_pool, SecretBox([OLD]))
    rotated = TenantRepository(gw_pool, SecretBox([NEW, OLD]), "http://sim")
    secrets = await rotated.load_secrets(tenant_id)
    assert secrets.csc == "ABCD0000000000000000000000000000" and secrets.certificate_password == "s3creto"
    with pytest.raises(SecretDecryptionError):
        await TenantRepository(gw_pool, SecretBox([NEW]), "http://sim").load_secrets(tenant_id)


async def test_sealed_value_moved_to_another_tenant_does_not_open(gw_pool: asyncpg.Pool) -> None:
    box = SecretBox([OLD])
    a, b = await _create(gw_pool, box), await _create(gw_pool, box)
    await gw_pool.execute(
        "UPDATE tenants SET csc_sealed = (SELECT csc_sealed FROM tenants WHERE id = $1) WHERE id = $2", a, b
    )
    with pytest.raises(SecretDecryptionError):  # AES-GCM associated data names the tenant
        await TenantRepository(gw_pool, box, "http://sim").load_secrets(b)


async def test_duplicate_slug_and_lookup_by_ref(gw_pool: asyncpg.Pool) -> None:
    repo = TenantRepository(gw_pool, SecretBox([OLD]), "http://sim")
    data, _ = parse_tenant_input(tenant_body(f"s{uuid.uuid4().hex[:10]}", ruc=unique_ruc()))
    assert data is not None
    tenant = await repo.create(data)
    with pytest.raises(TenantExistsError):
        await repo.create(data)
    assert (await repo.get_by_ref(tenant.slug)) == (await repo.get_by_ref(str(tenant.id)))
    assert tenant.sifen_base_url == "http://sim"  # simulado → the simulator URL
    data_prod, _ = parse_tenant_input(
        {**tenant_body(f"p{uuid.uuid4().hex[:10]}", ruc=unique_ruc()), "environment": "produccion"}
    )
    assert data_prod is not None
    assert (await repo.create(data_prod)).sifen_base_url == "https://sifen.set.gov.py"


async def test_api_key_needs_the_whole_token(gw_pool: asyncpg.Pool) -> None:
    tenant_id = await _create(gw_pool, SecretBox([OLD]))
    keys = ApiKeyRepository(gw_pool)
    record, token = await keys.create(tenant_id, Role.EMISOR, "erp")
    found = await keys.authenticate(token)
    assert found is not None and found[0].id == record.id and found[1].id == tenant_id
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")  # right lookup id, wrong secret
    assert await keys.authenticate(forged) is None
    stored = await gw_pool.fetchrow("SELECT lookup_id, token_hash FROM api_keys WHERE id = $1", record.id)
    assert stored["lookup_id"] == record.lookup_id and token not in stored["token_hash"]
    await keys.revoke(record.id)
    assert await keys.authenticate(token) is None


async def test_allocation_is_gapless_and_a_rollback_returns_numbers(gw_pool: asyncpg.Pool) -> None:
    tenant_id = await _create(gw_pool, SecretBox([OLD]))
    key = numbering.NumberingKey(tenant_id, "12558946", "001", "001", 1)

    async def take(fail: bool) -> list[int]:
        async with gw_pool.acquire() as conn:
            try:
                async with conn.transaction():
                    got = await numbering.allocate(conn, key, 2)
                    if fail:
                        raise RuntimeError("rolled back")
                    return got
            except RuntimeError:
                return []

    results = await asyncio.gather(*(take(fail=i % 3 == 0) for i in range(30)))
    taken = sorted(n for r in results for n in r)
    assert taken == list(range(1, len(taken) + 1))  # MT v150 C007: consecutive, no gaps, no repeats
    async with gw_pool.acquire() as conn:
        await numbering.note_given(conn, key, 500)
        assert await numbering.allocate(conn, key) == [501]
