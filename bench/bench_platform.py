"""Search and report benchmark: GET /{t}/de and /{t}/reportes/resumen over real HTTP (the gateway
app, API key auth and rate limiter included) on the real PostgreSQL, with many documents of one
company in the ``search`` read model.

Loading: the documents are written with COPY straight into ``document_search`` (the projection's
table) with its aggregate triggers switched off, and the daily aggregates are then filled with one
GROUP BY each, which is what the triggers would have written row by row. This is a benchmark shortcut,
not how documents arrive in production (there the ``search`` projection writes them from the event
store); it measures the reading side at a size the pipeline would take hours to produce here.

Everything happens in a database of its own (``sifenflow_platform_bench_<random>``), dropped at the
end (``--keep`` keeps it); no other database is touched.

It first measures the real path on a few thousand documents: their lifecycle events and artifacts
in the event store, then the ``documents`` and ``search`` projections catching up (docs/s each).

Run: .venv/bin/python bench/bench_platform.py --docs 1000000   (``make bench`` runs the default,
a smaller load). Targets (2 cores): /de p95 ≤ 50 ms for every filter combination, resumen of a month
p95 ≤ 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from sifenflow_common.artifacts import MEDIA_JSON, MEDIA_XML, PostgresArtifactStore
from sifenflow_common.db.pool import create_pool
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.eventstore.subscription import Subscription
from sifenflow_common.messages import Envelope, Message, document_stream
from sifenflow_common.messages.events import (
    DocumentApproved,
    DocumentBuilt,
    DocumentRequested,
    DocumentSigned,
)
from sifenflow_common.readmodel.documents import DocumentsProjection
from sifenflow_common.readmodel.search import SearchProjection, name_key
from sifenflow_common.readmodel.search_queries import Cursor
from sifenflow_common.runtime.logging import configure_logging
from sifenflow_common.sifen.dv import dv11
from sifenflow_common.sifen.paraguay_time import PARAGUAY_TZ
from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Role
from sifenflow_common.tenants.repository import ApiKeyRepository, TenantRepository
from sifenflow_common.testing import pg
from sifenflow_gateway.app import create_app, postgres_deps, secret_box
from sifenflow_gateway.settings import GatewaySettings
from sifenflow_standalone.demo import demo_invoice

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for tests.*
from tests.unit.gateway.samples import tenant_body

DEFAULT_DOCS = 50_000
RECEPTORS = 20_000
DAYS = 365
COPY_CHUNK = 50_000
SAMPLES = 20  # timed requests per combination (after 2 warm-ups)
COLUMNS = (
    "tenant_id", "document_id", "id", "cdc", "document_type", "establishment", "expedition_point", "number",
    "environment", "issued_at", "issued_on", "status", "situacion", "sifen_code", "receptor_ruc",
    "receptor_document", "receptor_name", "receptor_key", "currency", "total", "base10", "iva10", "base5",
    "iva5", "exento", "signed_sha256", "stream_version", "created_at", "updated_at",
)  # fmt: skip
TYPES = [(1, 85), (5, 8), (7, 3), (4, 2), (6, 2)]
OUTCOMES = [  # (status, situacion, sifen_code, weight)
    ("approved", 2, "0260", 90), ("approved_with_observation", 3, "0260", 2), ("rejected", 4, "1160", 2),
    ("rejected", 4, "1106", 1), ("rejected", 4, "0160", 1), ("signed", 0, None, 2), ("sent", 1, "0300", 1),
    ("cancelled", 99, "0600", 1),
]  # fmt: skip
WORDS = (
    "Comercial", "Distribuidora", "Ñandutí", "Agro", "Ganadera", "Importadora", "Ferretería", "Servicios",
    "Constructora", "Farmacia", "Panadería", "Transporte", "Inversiones", "Tecnología", "Estancia", "Café",
    "Librería", "Óptica", "Industrial", "Consultora", "Textil", "Química", "Energía", "Alimentos",
)  # fmt: skip
SURNAMES = ("González", "Benítez", "Martínez", "López", "Giménez", "Báez", "Ramírez", "Villalba", "Duarte")


def receptors(rng: random.Random) -> list[tuple[str | None, str | None, str]]:
    out: list[tuple[str | None, str | None, str]] = []
    for i in range(RECEPTORS):
        if i % 10 == 9:  # people, identified by their documento
            out.append((None, str(1_000_000 + i), f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)} {i}"))
        else:
            base = str(80_000_000 + i * 37)
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i} {rng.choice(('SA', 'SRL', 'SACI'))}"
            out.append((f"{base}-{dv11(base)}", None, name))
    return out


def rows(tenant: uuid.UUID, docs: int, today: date, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """``docs`` documents over the last DAYS days, oldest first (ids grow with time)."""
    rng = random.Random(seed)
    people = receptors(rng)
    types = [t for t, w in TYPES for _ in range(w)]
    outcomes = [o[:3] for o in OUTCOMES for _ in range(o[3])]
    start = datetime.combine(today - timedelta(days=DAYS - 1), datetime.min.time(), tzinfo=PARAGUAY_TZ)
    step = DAYS * 86400 / docs
    for n in range(docs):
        issued = start + timedelta(seconds=n * step + rng.random() * step)
        document_type = rng.choice(types)
        status, situacion, code = rng.choice(outcomes)
        ruc, documento, name = people[
            min(int(rng.paretovariate(1.2)) - 1, RECEPTORS - 1) if n % 2 else rng.randrange(RECEPTORS)
        ]
        number = f"{n % 9_999_999 + 1:07d}"
        cdc = f"{document_type:02d}800695631001001{number}2{issued:%Y%m%d}1{rng.randrange(10**9):09d}{n % 10}"
        currency = "USD" if n % 20 == 0 else "PYG"
        base10 = (
            Decimal(rng.randrange(1, 500) * 1000)
            if currency == "PYG"
            else Decimal(rng.randrange(100, 90000)) / 100
        )
        base5 = base10 / 2 if n % 7 == 0 else Decimal(0)
        exento = Decimal(5000) if n % 11 == 0 else Decimal(0)
        iva10, iva5 = (base10 / 10).quantize(Decimal("0.01")), (base5 / 20).quantize(Decimal("0.01"))
        total = base10 + iva10 + base5 + iva5 + exento
        environment = "test" if n < 200 else "produccion"
        yield (
            tenant, uuid.UUID(int=rng.getrandbits(128)), n + 1, cdc, document_type, "001", "001", number,
            environment, issued, issued.date(), status, situacion,
            code if situacion in (2, 3, 4, 99) else None,
            ruc, documento, name, name_key(name), currency, total, base10, iva10, base5, iva5, exento,
            "ab" * 32, 6, issued, issued,
        )  # fmt: skip


AGGREGATE_DAILY = """
INSERT INTO document_daily
SELECT tenant_id, issued_on, environment, document_type, situacion, currency,
       CASE WHEN situacion = 4 THEN coalesce(sifen_code, '') ELSE '' END, count(*), sum(coalesce(total, 0)),
       sum(coalesce(base10, 0)), sum(coalesce(iva10, 0)), sum(coalesce(base5, 0)), sum(coalesce(iva5, 0)),
       sum(coalesce(exento, 0))
FROM document_search GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
AGGREGATE_RECEPTORS = """
INSERT INTO document_receptor_daily
SELECT tenant_id, issued_on, environment, coalesce(receptor_ruc, receptor_document, ''), currency, count(*),
       sum(coalesce(total, 0))
FROM document_search WHERE situacion IN (2, 3) GROUP BY 1, 2, 3, 4, 5
"""
AGGREGATE_RECEPTORS_MONTHLY = """
INSERT INTO document_receptor_monthly
SELECT tenant_id, date_trunc('month', day)::date, environment, receptor, currency, sum(documents), sum(total)
FROM document_receptor_daily GROUP BY 1, 2, 3, 4, 5
"""


async def load(pool: Any, tenant: uuid.UUID, docs: int, today: date) -> float:
    began = time.perf_counter()
    async with pool.acquire() as conn:
        await conn.execute("ALTER TABLE document_search DISABLE TRIGGER USER")
        chunk: list[tuple[Any, ...]] = []
        for row in rows(tenant, docs, today):
            chunk.append(row)
            if len(chunk) == COPY_CHUNK:
                await conn.copy_records_to_table("document_search", records=chunk, columns=COLUMNS)
                chunk = []
        if chunk:
            await conn.copy_records_to_table("document_search", records=chunk, columns=COLUMNS)
        await conn.execute(AGGREGATE_DAILY)
        await conn.execute(AGGREGATE_RECEPTORS)
        await conn.execute(AGGREGATE_RECEPTORS_MONTHLY)
        await conn.execute("ALTER TABLE document_search ENABLE TRIGGER USER")
        await conn.execute("VACUUM ANALYZE document_search")
        await conn.execute("ANALYZE document_daily")
        await conn.execute("ANALYZE document_receptor_daily")
        await conn.execute("ANALYZE document_receptor_monthly")
    return time.perf_counter() - began


def _lifecycle(tenant: uuid.UUID, n: int, request_sha: str, xml_sha: str) -> tuple[str, list[Envelope]]:
    doc, cdc = uuid.uuid4(), f"{n:044d}"

    def w(m: Message) -> Envelope:
        return Envelope.wrap(m, tenant_id=tenant, producer="bench/1")

    return document_stream(doc), [
        w(DocumentRequested(document_id=doc, document_type=1, establishment="001", expedition_point="001",
                            number=f"{n:07d}", request_sha256=request_sha, external_id=str(n))),
        w(DocumentBuilt(document_id=doc, cdc=cdc, xml_sha256=xml_sha)),
        w(DocumentSigned(document_id=doc, cdc=cdc, signed_xml_sha256=xml_sha, qr_url="https://x")),
        w(DocumentApproved(document_id=doc, cdc=cdc, sifen_code="0260", sifen_message="Aprobado")),
    ]  # fmt: skip


async def projection_rate(pool: Any, docs: int) -> None:
    """The real path: ``docs`` documents' events (requested, built, signed, approved) with their
    request and XML artifacts in the event store, then each projection catches up from scratch."""
    tenant = uuid.uuid4()
    store, artifacts = PostgresEventStore(pool), PostgresArtifactStore(pool)
    request = {"environment": "produccion", "data": dict(demo_invoice(), fecha="2026-12-01T10:00:00")}
    built = b"><gTotSub><dTotGralOpe>110000</dTotGralOpe><dIVA10>10000</dIVA10>"
    built += b"<dBaseGrav10>100000</dBaseGrav10></gTotSub>" + b"<gCamItem/>" * 200 + b"</DE></rDE>"
    for n in range(docs):  # distinct artifacts, as real documents have
        request_sha = await artifacts.put(json.dumps(dict(request, n=n)).encode(), MEDIA_JSON)
        xml_sha = await artifacts.put(f'<rDE><DE Id="{n}"'.encode() + built, MEDIA_XML)
        stream, events = _lifecycle(tenant, n + 1, request_sha, xml_sha)
        await store.append(stream, 0, events, publish=False)
    for projection in (DocumentsProjection(), SearchProjection()):
        began = time.perf_counter()
        applied = await Subscription(pool, projection).catch_up()
        seconds = time.perf_counter() - began
        print(f"projection {projection.name:<10} {docs / seconds:>8,.0f} docs/s"
              f" ({applied:,} events of {docs:,} documents in {seconds:.2f} s, batches of 500)")  # fmt: skip


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def combinations(pool: Any, tenant: uuid.UUID, today: date) -> list[tuple[str, str, dict[str, str]]]:
    """(label, path, params): every filter alone, combined, with q of each kind, and deep cursors."""
    async with pool.acquire() as conn:
        total = await conn.fetchval("SELECT count(*) FROM document_search WHERE tenant_id = $1", tenant)
        sample = await conn.fetchrow(
            "SELECT cdc, number, receptor_ruc, receptor_name FROM document_search"
            " WHERE tenant_id = $1 AND receptor_ruc IS NOT NULL ORDER BY id OFFSET $2 LIMIT 1",
            tenant,
            total // 3,
        )
        cursors = {}
        for label, offset in (("middle", total // 2), ("oldest page", max(0, total - 60))):
            row = await conn.fetchrow(
                "SELECT issued_at, id FROM document_search WHERE tenant_id = $1"
                " ORDER BY issued_at DESC, id DESC OFFSET $2 LIMIT 1",
                tenant,
                offset,
            )
            cursors[label] = Cursor(row["issued_at"], row["id"]).encode()
    month_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    month_end = today.replace(day=1) - timedelta(days=1)
    week = (today - timedelta(days=6)).isoformat()
    d = "/de"
    matrix: list[tuple[str, str, dict[str, str]]] = [
        ("no filter", d, {}),
        ("limit=500", d, {"limit": "500"}),
        ("desde/hasta (a month)", d, {"desde": month_start.isoformat(), "hasta": month_end.isoformat()}),
        ("estado=aprobado", d, {"estado": "aprobado"}),
        ("estado=rechazado", d, {"estado": "rechazado"}),
        ("estado=cancelado", d, {"estado": "cancelado"}),
        ("estado=inutilizado (none)", d, {"estado": "inutilizado"}),
        ("tipoDocumento=6", d, {"tipoDocumento": "6"}),
        ("tipoDocumento=2 (none)", d, {"tipoDocumento": "2"}),
        ("ruc", d, {"ruc": sample["receptor_ruc"]}),
        ("ruc without DV", d, {"ruc": sample["receptor_ruc"].split("-")[0]}),
        ("ambiente=test", d, {"ambiente": "test"}),
        ("estado+tipo (rechazado, 6)", d, {"estado": "rechazado", "tipoDocumento": "6"}),
        ("week+estado+tipo", d, {"desde": week, "estado": "rechazado", "tipoDocumento": "5"}),
        ("month+ruc+estado", d, {"desde": month_start.isoformat(), "hasta": month_end.isoformat(),
                                 "ruc": sample["receptor_ruc"], "estado": "aprobado"}),
        ("q=name prefix (common)", d, {"q": "comercial"}),
        ("q=name prefix (rare)", d, {"q": sample["receptor_name"][:-4]}),
        ("q=name prefix (none)", d, {"q": "zzz sin coincidencias"}),
        ("q=CDC prefix", d, {"q": sample["cdc"][:30]}),
        ("q=CDC", d, {"q": sample["cdc"]}),
        ("q=numero", d, {"q": f"001-001-{sample['number']}"}),
        ("q=number digits", d, {"q": str(int(sample["number"]))}),
        ("q=RUC", d, {"q": sample["receptor_ruc"]}),
        ("q=RUC prefix", d, {"q": sample["receptor_ruc"][:5]}),
        ("q+estado", d, {"q": "ñandutí", "estado": "rechazado"}),
        ("q+month", d, {"q": "farmacia", "desde": month_start.isoformat(), "hasta": month_end.isoformat()}),
        ("q+tipo+estado (rare)", d, {"q": "óptica", "tipoDocumento": "6", "estado": "cancelado"}),
        ("cursor: middle", d, {"cursor": cursors["middle"]}),
        ("cursor: oldest page", d, {"cursor": cursors["oldest page"]}),
        ("cursor: middle + estado", d, {"cursor": cursors["middle"], "estado": "rechazado"}),
        ("cursor: middle + q", d, {"cursor": cursors["middle"], "q": "comercial"}),
    ]  # fmt: skip
    month = {"desde": month_start.isoformat(), "hasta": month_end.isoformat()}
    matrix += [
        ("resumen month agrupar=dia", "/reportes/resumen", dict(month, agrupar="dia")),
        ("resumen month agrupar=mes", "/reportes/resumen", dict(month, agrupar="mes")),
        ("resumen year agrupar=mes", "/reportes/resumen",
         {"desde": (today - timedelta(days=DAYS - 1)).isoformat(), "hasta": today.isoformat(),
          "agrupar": "mes"}),
        ("resumen month CSV", "/reportes/resumen.csv", month),
    ]  # fmt: skip
    return matrix


async def measure(
    client: TestClient[Any, Any], headers: dict[str, str], path: str, params: dict[str, str]
) -> list[float]:
    times: list[float] = []
    for n in range(SAMPLES + 2):
        began = time.perf_counter()
        resp = await client.get(f"/bench{path}", params=params, headers=headers)
        assert resp.status == 200, await resp.text()
        await resp.read()
        if n >= 2:
            times.append((time.perf_counter() - began) * 1000)
    return times


async def export_rate(
    client: TestClient[Any, Any], headers: dict[str, str], params: dict[str, str]
) -> tuple[int, float]:
    began = time.perf_counter()
    resp = await client.get("/bench/de.csv", params=params, headers=headers)
    assert resp.status == 200
    lines = 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        lines += chunk.count(b"\n")
    return lines - 1, time.perf_counter() - began


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--docs", type=int, default=DEFAULT_DOCS, help=f"documents to load (default {DEFAULT_DOCS:,})"
    )
    parser.add_argument(
        "--projection-docs", type=int, default=2000, help="documents through the projections (default 2,000)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--reuse", metavar="DATABASE", help="measure again on a database kept by --keep")
    args = parser.parse_args()
    configure_logging("WARNING")  # no request log lines between the figures
    name = args.reuse or await pg.create_template(f"sifenflow_platform_bench_{uuid.uuid4().hex[:6]}")
    pool = await create_pool(pg.dsn_for(name), min_size=2, max_size=6)
    try:
        settings = GatewaySettings(
            master_key="bench-master-key-0123456789", rate_limit_per_second=1e6, rate_limit_burst=1_000_000
        )
        tenants = TenantRepository(pool, secret_box(settings), settings.sim_base_url)
        today = datetime.now(PARAGUAY_TZ).date()
        if args.reuse:
            tenant = await tenants.get_by_slug("bench")
            assert tenant is not None, f"{name} is not a database kept by this benchmark"
        else:
            data, _ = parse_tenant_input(tenant_body("bench"))
            assert data is not None
            tenant = await tenants.create(data)
            seconds = await load(pool, tenant.id, args.docs, today)
            print(f"loaded {args.docs:,} documents (COPY into the read model, aggregates, ANALYZE)"
                  f" in {seconds:.1f} s = {args.docs / seconds:,.0f} docs/s")  # fmt: skip
            await projection_rate(pool, args.projection_docs)
        _, token = await ApiKeyRepository(pool).create(tenant.id, Role.LECTURA, "bench")
        client: TestClient[Any, Any] = TestClient(
            TestServer(create_app(settings, postgres_deps(pool, settings)))
        )
        await client.start_server()
        headers = {"Authorization": f"Bearer {token}"}
        try:
            worst: dict[str, float] = {"/de": 0.0, "/reportes": 0.0}
            print(f"{'combination':<32} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
            for label, path, params in await combinations(pool, tenant.id, today):
                times = await measure(client, headers, path, params)
                p95 = pct(times, 95)
                if path == "/de" or "month" in label:  # the targets: any search, a month's resumen
                    key = "/de" if path == "/de" else "/reportes"
                    worst[key] = max(worst[key], p95)
                print(
                    f"{label:<32} {statistics.median(times):>8.1f} {p95:>8.1f} {pct(times, 99):>8.1f}"
                    f" {max(times):>8.1f}"
                )
            month_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
            exported, secs = await export_rate(
                client, headers, {"desde": month_start.isoformat(), "hasta": today.isoformat()}
            )
            print(
                f"de.csv export: {exported:,} rows in {secs:.2f} s = {exported / secs:,.0f} rows/s (streamed)"
            )
            print(
                f"worst p95: /de {worst['/de']:.1f} ms (target ≤ 50),"
                f" resumen of a month {worst['/reportes']:.1f} ms (target ≤ 200)"
            )
        finally:
            await client.close()
    finally:
        await pool.close()
        if args.keep or args.reuse:
            print(f"kept database {name}")
        else:
            await pg.drop_database(name)


if __name__ == "__main__":
    asyncio.run(main())
