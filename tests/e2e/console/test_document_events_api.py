"""GET /{t}/de/{cdc}/eventos: a document's history from the event store, oldest first, in the
caller's company only."""

from __future__ import annotations

import aiohttp
import pytest

from tests.e2e.console.conftest import Console
from tests.e2e.pipeline.stack import bearer

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module")]


async def test_a_documents_events_come_oldest_first_with_the_sifen_answer(console: Console) -> None:
    stack, cdc = console.stack, console.cdcs[0]
    async with aiohttp.ClientSession(headers=bearer(stack.tenants["demo"])) as session:
        async with session.get(f"{stack.url}/demo/de/{cdc}/eventos") as response:
            assert response.status == 200, await response.text()
            result = (await response.json())["result"]
        assert result["cdc"] == cdc
        kinds = [item["tipo"] for item in result["items"]]
        assert kinds[:3] == ["document.requested", "document.built", "document.signed"]
        assert "document.approved" in kinds
        assert [item["version"] for item in result["items"]] == list(range(1, len(kinds) + 1))
        approved = next(item for item in result["items"] if item["tipo"] == "document.approved")
        assert approved["detalle"]["sifen_code"] == "0260"
        assert approved["fecha"].endswith("-03:00")
        assert all(len(str(v)) <= 200 for item in result["items"] for v in item["detalle"].values())

        async with session.get(f"{stack.url}/demo/de/{'9' * 44}/eventos") as response:
            assert response.status == 404
            assert (await response.json())["code"] == "DOCUMENTO_NO_ENCONTRADO"
        async with session.get(f"{stack.url}/demo/de/123/eventos") as response:
            assert response.status == 400
            assert (await response.json())["code"] == "CDC_INVALIDO"
        other = stack.tenants["otra"]  # another company's key never sees this document
        async with session.get(f"{stack.url}/otra/de/{cdc}/eventos", headers=bearer(other)) as response:
            assert response.status == 404
