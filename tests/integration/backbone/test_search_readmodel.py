"""The ``search`` projection on real PostgreSQL: rows from events and the artifacts they name, the
daily aggregates kept equal to the rows by the triggers, rebuild, and queries scoped by tenant."""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from sifenflow_common.artifacts import MEDIA_JSON, MEDIA_XML, PostgresArtifactStore
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.eventstore.subscription import Subscription, rebuild
from sifenflow_common.messages import Envelope, Message, document_stream
from sifenflow_common.messages.events import (
    DocumentApproved,
    DocumentBuilt,
    DocumentRejected,
    DocumentRequested,
    DocumentSigned,
)
from sifenflow_common.readmodel import reports
from sifenflow_common.readmodel.search import SearchProjection
from sifenflow_common.readmodel.search_queries import SearchFilters, search_page
from tests.backbone_support import Database, follow

pytestmark = pytest.mark.integration

DAY = date(2026, 11, 30)
RUCS = {"Ñandutí SA": "80012345-2", "Otro SRL": "80000001-5", "Prueba SA": "80000002-3"}
XML = """<rDE xmlns="http://ekuatia.set.gov.py/sifen/xsd"><DE Id="{cdc}"><gTotSub>
<dSubExe>{exento}</dSubExe><dTotGralOpe>{total}</dTotGralOpe><dIVA5>0</dIVA5><dIVA10>{iva10}</dIVA10>
<dBaseGrav5>0</dBaseGrav5><dBaseGrav10>{base10}</dBaseGrav10></gTotSub></DE></rDE>"""


async def emit(
    store: PostgresEventStore,
    artifacts: PostgresArtifactStore,
    tenant: uuid.UUID,
    n: int,
    *,
    receptor: str,
    base10: int,
    exento: int = 0,
    outcome: str = "approved",
    environment: str = "simulado",
) -> uuid.UUID:
    doc, cdc = uuid.uuid4(), f"{n:044d}"
    request = {
        "environment": environment,
        "data": {
            "fecha": f"{DAY.isoformat()}T23:30:00",  # late evening in Paraguay: still that day
            "moneda": "PYG",
            "cliente": {"contribuyente": True, "ruc": RUCS[receptor], "razonSocial": receptor},
        },
    }
    request_sha = await artifacts.put(json.dumps(request).encode(), MEDIA_JSON)
    iva10 = base10 // 10
    xml = XML.format(cdc=cdc, exento=exento, total=base10 + iva10 + exento, iva10=iva10, base10=base10)
    xml_sha = await artifacts.put(xml.encode(), MEDIA_XML)

    def w(m: Message) -> Envelope:
        return Envelope.wrap(m, tenant_id=tenant, producer="tests/1")

    final: Message = (
        DocumentApproved(document_id=doc, cdc=cdc, sifen_code="0260", sifen_message="Aprobado")
        if outcome == "approved"
        else DocumentRejected(document_id=doc, cdc=cdc, sifen_code="1160", sifen_message="RUC inválido")
    )
    await store.append(
        document_stream(doc),
        0,
        [
            w(DocumentRequested(document_id=doc, document_type=1, establishment="001", expedition_point="001",
                                number=f"{n:07d}", request_sha256=request_sha, external_id=str(n))),
            w(DocumentBuilt(document_id=doc, cdc=cdc, xml_sha256=xml_sha)),
            w(DocumentSigned(document_id=doc, cdc=cdc, signed_xml_sha256=xml_sha, qr_url="https://x")),
            w(final),
        ],
    )  # fmt: skip
    return doc


async def _aggregates(database: Database) -> tuple[list[Any], list[Any], list[Any]]:
    daily = await database.pool.fetch(
        "SELECT * FROM document_daily WHERE documents <> 0 ORDER BY tenant_id, situacion, rejection_code"
    )
    receptors = await database.pool.fetch(
        "SELECT * FROM document_receptor_daily WHERE documents <> 0 ORDER BY tenant_id, receptor"
    )
    monthly = await database.pool.fetch(
        "SELECT * FROM document_receptor_monthly WHERE documents <> 0 ORDER BY tenant_id, receptor"
    )
    return [dict(r) for r in daily], [dict(r) for r in receptors], [dict(r) for r in monthly]


async def test_rows_aggregates_rebuild_and_tenant_scope(database: Database) -> None:
    store, artifacts = PostgresEventStore(database.pool), PostgresArtifactStore(database.pool)
    tenant_a, tenant_b = uuid.uuid4(), uuid.uuid4()
    await emit(store, artifacts, tenant_a, 1, receptor="Ñandutí SA", base10=100000)
    await emit(store, artifacts, tenant_a, 2, receptor="Ñandutí SA", base10=50000, exento=7000)
    await emit(store, artifacts, tenant_a, 3, receptor="Otro SRL", base10=10000, outcome="rejected")
    await emit(store, artifacts, tenant_a, 4, receptor="Prueba SA", base10=1000, environment="test")
    await emit(store, artifacts, tenant_b, 5, receptor="Ñandutí SA", base10=999000)
    await follow(Subscription(database.pool, SearchProjection()), 5 * 4)

    row = await database.pool.fetchrow("SELECT * FROM document_search WHERE id = 2")
    assert row["tenant_id"] == tenant_a and row["issued_on"] == DAY and row["status"] == "approved"
    assert (row["receptor_ruc"], row["receptor_key"], row["environment"]) == (
        "80012345-2",
        "nanduti sa",
        "simulado",
    )
    assert (row["total"], row["iva10"], row["base10"], row["exento"]) == (62000, 5000, 50000, 7000)
    assert row["signed_sha256"] is not None and row["situacion"] == 2

    report = await reports.resumen(database.pool, tenant_a, DAY, DAY, by_month=False, environment="simulado")
    assert report.body["iva"] == [
        {"moneda": "PYG", "total": 110000 + 62000, "gravado10": 150000, "iva10": 15000, "gravado5": 0,
         "iva5": 0, "exento": 7000}
    ]  # fmt: skip
    assert report.body["rechazos"] == [{"codigo": "1160", "cantidad": 1}]
    assert report.body["topReceptores"][0]["cantidad"] == 2
    assert report.body["topReceptores"][0]["total"] == 172000
    assert report.body["topReceptores"][0]["razonSocial"] == "Ñandutí SA"
    # the same figures from the monthly rows (a whole month) as from the daily ones (a single day)
    whole_month = await reports.resumen(
        database.pool, tenant_a, DAY.replace(day=1), DAY, by_month=True, environment="simulado"
    )
    assert whole_month.body["topReceptores"] == report.body["topReceptores"]
    everywhere = await reports.resumen(database.pool, tenant_a, DAY, DAY, by_month=True)
    assert sum(r["cantidad"] for r in everywhere.body["porTipoYEstado"]) == 4

    # the aggregates equal the rows they summarise, before and after a rebuild
    recomputed = await database.pool.fetch(
        "SELECT tenant_id, situacion, count(*) AS n, sum(total) AS total FROM document_search"
        " GROUP BY 1, 2 ORDER BY 1, 2"
    )
    summed = await database.pool.fetch(
        "SELECT tenant_id, situacion, sum(documents) AS n, sum(total) AS total FROM document_daily"
        " GROUP BY 1, 2 HAVING sum(documents) <> 0 ORDER BY 1, 2"
    )
    assert [dict(r) for r in recomputed] == [dict(r) for r in summed]
    before_rows = await database.pool.fetch("SELECT * FROM document_search ORDER BY id")
    before_aggregates = await _aggregates(database)
    assert await rebuild(database.pool, SearchProjection()) == 20
    assert await database.pool.fetch("SELECT * FROM document_search ORDER BY id") == before_rows
    assert await _aggregates(database) == before_aggregates
    # one event per batch (nothing folded, every update on its own) gives the same rows
    assert await rebuild(database.pool, SearchProjection(), batch_size=1) == 20
    assert await database.pool.fetch("SELECT * FROM document_search ORDER BY id") == before_rows
    assert await _aggregates(database) == before_aggregates

    rows, _ = await search_page(database.pool, tenant_b, SearchFilters(q="nandu"), limit=10)
    assert [r["id"] for r in rows] == [5]
    rows, _ = await search_page(database.pool, tenant_a, SearchFilters(q="ÑANDU"), limit=10)
    assert [r["id"] for r in rows] == [2, 1]
    rows, _ = await search_page(database.pool, tenant_a, SearchFilters(environment="test"), limit=10)
    assert [r["id"] for r in rows] == [4]
    test_docs = await reports.test_environment_documents(database.pool, tenant_a)
    assert [r["cdc"] for r in test_docs] == [f"{4:044d}"]
    assert Decimal(0) == sum(
        r["total"] for r in await database.pool.fetch("SELECT total FROM document_daily WHERE documents = 0")
    )
