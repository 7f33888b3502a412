"""A company whose certificate has expired cannot emit either: 409 before any number is used."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.unit.gateway.conftest import Harness
from tests.unit.gateway.samples import factura

pytestmark = [pytest.mark.unit, pytest.mark.asyncio]


async def test_expired_certificate_is_409_certificado_vencido_before_numbering(gw: Harness) -> None:
    expired = datetime.now(UTC) - timedelta(days=1)
    gw.directory.tenants[gw.tenant.id] = replace(gw.tenant, certificate_not_after=expired)
    for path, body in (("/acme/de/create", factura()), ("/acme/lote/create", [factura()])):
        resp = await gw.client.post(path, json=body, headers=gw.auth())
        answer = await resp.json()
        assert resp.status == 409 and answer["code"] == "CERTIFICADO_VENCIDO", answer
        assert expired.date().isoformat() in answer["error"]
    valid = expired + timedelta(days=400)
    gw.directory.tenants[gw.tenant.id] = replace(gw.tenant, certificate_not_after=valid)
    resp = await gw.client.post("/acme/de/create", json=factura(), headers=gw.auth())
    assert resp.status == 200
    assert (await resp.json())["deList"][0]["numero"] == "001-001-0000001"  # nothing was burnt before
