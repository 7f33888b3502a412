"""Search, exports and reports over HTTP on documents that went through the whole pipeline (gateway →
builder → signer → sender → simulator → store projections), on real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from lxml import etree

from sifenflow_common.sifen.dv import dv11
from sifenflow_common.testing import eventually
from sifenflow_standalone.demo import DEMO_SLUG, demo_invoice
from tests.e2e.pipeline.stack import Stack, Tenant, bearer
from tests.e2e.search.conftest import READER, TEST_SLUG

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

RUC_A = f"80012345-{dv11('80012345')}"
NAME_A = "Ñandutí Comercial SA"


def _item(price: int, iva_tipo: int, iva: int) -> dict[str, Any]:
    return {
        "codigo": "A-1", "descripcion": "Artículo", "unidadMedida": 77, "cantidad": 1,
        "precioUnitario": price, "ivaTipo": iva_tipo, "ivaBase": 100 if iva_tipo == 1 else 0, "iva": iva,
    }  # fmt: skip


def _invoice(total: int, items: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    doc = demo_invoice(items=items, **overrides)
    doc["condicion"] = {"tipo": 1, "entregas": [{"tipo": 1, "monto": total, "moneda": "PYG"}]}
    return doc


def documents() -> list[dict[str, Any]]:
    """Four invoices of demo: IVA 10 % to RUC_A, IVA 5 % to a person, exento, and one SIFEN rejects."""
    person = {
        "contribuyente": False, "razonSocial": "José Pérez", "tipoOperacion": 2, "pais": "PRY",
        "paisDescripcion": "Paraguay", "documentoTipo": 1, "documentoNumero": "4321987",
    }  # fmt: skip
    cliente_a = dict(demo_invoice()["cliente"], ruc=RUC_A, razonSocial=NAME_A)
    return [
        _invoice(110000, [_item(110000, 1, 10)], cliente=cliente_a),
        _invoice(105000, [_item(105000, 1, 5)], cliente=person),
        _invoice(50000, [_item(50000, 3, 0)], cliente=cliente_a),
        _invoice(110000, [_item(110000, 1, 10)], punto="002"),  # 1106: punto not in the timbrado
    ]


async def _create(session: aiohttp.ClientSession, stack: Stack, tenant: Tenant, doc: dict[str, Any]) -> str:
    async with session.post(f"{stack.url}/{tenant.slug}/de/create", json=doc, headers=bearer(tenant)) as r:
        body = await r.json()
        assert r.status == 200, body
        return str(body["deList"][0]["cdc"])


async def _get(
    session: aiohttp.ClientSession, stack: Stack, tenant: Tenant, path: str, **params: Any
) -> tuple[int, Any]:
    async with session.get(f"{stack.url}/{tenant.slug}{path}", params=params, headers=bearer(tenant)) as r:
        return r.status, await r.json(content_type=None)


async def _final(
    session: aiohttp.ClientSession, stack: Stack, tenant: Tenant, count: int
) -> list[dict[str, Any]]:
    """The tenant's search once ``count`` documents are in it, none still on its way."""

    async def settled() -> list[dict[str, Any]]:
        status, body = await _get(session, stack, tenant, "/de", limit=100)
        assert status == 200, body
        items: list[dict[str, Any]] = body["result"]["items"]
        assert len(items) == count and all(i["estado"] in ("Aprobado", "Rechazado") for i in items), items
        return items

    return await eventually(settled, timeout=60, interval=0.3)


@pytest.fixture(scope="module")
def created() -> dict[str, Any]:
    return {}


async def _emitted(stack: Stack, created: dict[str, Any]) -> dict[str, Any]:
    if created:
        return created
    demo, other, test = stack.tenants[DEMO_SLUG], stack.tenants["otra"], stack.tenants[TEST_SLUG]
    async with aiohttp.ClientSession() as session:
        created["demo"] = [await _create(session, stack, demo, d) for d in documents()]
        created["otra"] = [await _create(session, stack, other, demo_invoice())]
        created["test"] = [
            # same RUC as demo in the simulator: a number demo does not use (else 1002, duplicate)
            await _create(session, stack, test, demo_invoice(numero=9000001)),
            await _create(session, stack, test, demo_invoice(punto="002")),
        ]
        created["items"] = await _final(session, stack, demo, 4)
        await _final(session, stack, other, 1)
        await _final(session, stack, test, 2)
    return created


async def test_search_lists_the_tenants_documents_newest_first(stack: Stack, created: dict[str, Any]) -> None:
    emitted = await _emitted(stack, created)
    items = emitted["items"]
    assert [i["cdc"] for i in items] == list(reversed(emitted["demo"]))  # same second: then by id
    first = items[-1]
    assert first["receptor"] == {"ruc": RUC_A, "razonSocial": NAME_A}
    assert first["total"] == 110000 and first["moneda"] == "PYG" and first["tipoDocumento"] == 1
    assert first["estado"] == "Aprobado" and first["situacion"] == 2 and first["ambiente"] == "simulado"
    assert first["numero"].startswith("001-001-") and isinstance(first["id"], int)
    assert datetime.fromisoformat(first["fecha"]).utcoffset() is not None
    assert "." not in first["fecha"]  # whole seconds
    assert items[2]["receptor"] == {"documento": "4321987", "razonSocial": "José Pérez"}
    assert items[0]["estado"] == "Rechazado" and items[0]["situacion"] == 4


async def test_filters_and_q(stack: Stack, created: dict[str, Any]) -> None:
    emitted = await _emitted(stack, created)
    demo = stack.tenants[READER]  # the read-only key is enough
    cdcs = emitted["demo"]
    today = date.today().isoformat()

    async def found(**params: Any) -> list[str]:
        async with aiohttp.ClientSession() as session:
            status, body = await _get(session, stack, demo, "/de", **params)
        assert status == 200, body
        return [i["cdc"] for i in body["result"]["items"]]

    assert await found(estado="rechazado") == [cdcs[3]]
    assert await found(estado="4") == [cdcs[3]]
    assert await found(estado="Aprobado") == [cdcs[2], cdcs[1], cdcs[0]]
    assert await found(ruc=RUC_A) == [cdcs[2], cdcs[0]]
    assert await found(ruc=RUC_A.split("-")[0]) == [cdcs[2], cdcs[0]]
    assert await found(q="nandu") == [cdcs[2], cdcs[0]]  # accents and case ignored
    assert await found(q="JOSE p") == [cdcs[1]]
    assert await found(q="4321") == [cdcs[1]]  # documento prefix
    assert await found(q=cdcs[1][:43]) == [cdcs[1]]
    numero = next(i["numero"] for i in emitted["items"] if i["cdc"] == cdcs[1])
    assert await found(q=numero) == [cdcs[1]]
    assert await found(desde=today, hasta=today, tipoDocumento="1", estado="aprobado") == [
        cdcs[2],
        cdcs[1],
        cdcs[0],
    ]
    assert await found(hasta="2000-01-01") == []
    assert await found(tipoDocumento="5") == []
    assert await found(ambiente="test") == []


async def test_keyset_pages_cover_every_document_once(stack: Stack, created: dict[str, Any]) -> None:
    emitted = await _emitted(stack, created)
    demo = stack.tenants[DEMO_SLUG]
    seen: list[str] = []
    cursor = None
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            status, body = await _get(session, stack, demo, "/de", **params)
            assert status == 200, body
            seen += [i["cdc"] for i in body["result"]["items"]]
            cursor = body["result"]["nextCursor"]
            if cursor is None:
                break
    assert seen == list(reversed(emitted["demo"]))
    assert cursor is None


@pytest.mark.parametrize(
    ("params", "code", "path"),
    [
        ({"desde": "2026-13-01"}, "FECHA_INVALIDA", "query.desde"),
        ({"desde": "2026-02-01", "hasta": "2026-01-01"}, "RANGO_INVALIDO", "query.hasta"),
        ({"estado": "perdido"}, "ESTADO_INVALIDO", "query.estado"),
        ({"tipoDocumento": "9"}, "TIPO_DOCUMENTO_INVALIDO", "query.tipoDocumento"),
        ({"limit": "0"}, "PARAMETRO_INVALIDO", "query.limit"),
        ({"cursor": "no-es-un-cursor"}, "CURSOR_INVALIDO", "query.cursor"),
        ({"ruc": "abc"}, "RUC_INVALIDO", "query.ruc"),
    ],
)
async def test_bad_parameters_answer_400(stack: Stack, params: dict[str, str], code: str, path: str) -> None:
    async with aiohttp.ClientSession() as session:
        status, body = await _get(session, stack, stack.tenants[DEMO_SLUG], "/de", **params)
    assert status == 400, body
    assert body["code"] == code and body["errores"][0]["path"] == path, body


async def test_a_key_never_sees_another_tenants_documents(stack: Stack, created: dict[str, Any]) -> None:
    emitted = await _emitted(stack, created)
    other = stack.tenants["otra"]
    async with aiohttp.ClientSession() as session:
        status, body = await _get(session, stack, other, "/de", limit=100)
        assert status == 200
        assert [i["cdc"] for i in body["result"]["items"]] == emitted["otra"]
        status, body = await _get(session, stack, other, "/de", q=emitted["demo"][0])
        assert status == 200 and body["result"]["items"] == []
        for path in ("/de", "/de.csv", "/de.zip", "/reportes/resumen", "/reportes/habilitacion"):
            async with session.get(f"{stack.url}/{DEMO_SLUG}{path}", headers=bearer(other)) as r:
                assert r.status == 404, path
        async with session.get(f"{stack.url}/otra/de.csv", headers=bearer(other)) as r:
            text = await r.text()
    assert not any(cdc in text for cdc in emitted["demo"])


async def test_csv_export_has_every_match(stack: Stack, created: dict[str, Any]) -> None:
    emitted = await _emitted(stack, created)
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{stack.url}/{DEMO_SLUG}/de.csv",
            params={"estado": "aprobado"},
            headers=bearer(stack.tenants[READER]),
        ) as r,
    ):
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in r.headers["Content-Disposition"]
        assert r.headers["Transfer-Encoding"] == "chunked"  # streamed, never built whole in memory
        rows = list(csv.DictReader(io.StringIO(await r.text())))
    assert [row["cdc"] for row in rows] == [emitted["demo"][2], emitted["demo"][1], emitted["demo"][0]]
    assert rows[2]["receptorRuc"] == RUC_A and rows[2]["receptorRazonSocial"] == NAME_A
    assert (rows[2]["total"], rows[2]["iva10"], rows[2]["gravado10"]) == ("110000", "10000", "100000")
    assert (rows[1]["iva5"], rows[1]["receptorDocumento"]) == ("5000", "4321987")
    assert rows[0]["exento"] == "50000" and rows[0]["estado"] == "Aprobado"


async def test_zip_has_the_signed_xml_of_each_document(stack: Stack, created: dict[str, Any]) -> None:
    emitted = await _emitted(stack, created)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{stack.url}/{DEMO_SLUG}/de.zip", headers=bearer(stack.tenants[READER])) as r,
    ):
        assert r.status == 200 and r.headers["Content-Type"] == "application/zip"
        assert r.headers["Transfer-Encoding"] == "chunked"
        data = await r.read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert sorted(names) == sorted(f"{cdc}.xml" for cdc in emitted["demo"])
        for cdc in emitted["demo"]:
            root = etree.fromstring(archive.read(f"{cdc}.xml"))
            assert root.xpath("//*[local-name()='DE']/@Id") == [cdc]
            assert root.xpath("//*[local-name()='Signature']")


def _amounts(xml: bytes) -> dict[str, Decimal]:
    root = etree.fromstring(xml)
    return {
        name: Decimal(root.xpath(f"string(//*[local-name()='{name}'])") or "0")
        for name in ("dTotGralOpe", "dIVA10", "dIVA5", "dBaseGrav10", "dBaseGrav5", "dSubExe")
    }


async def test_resumen_adds_up_the_documents_own_totals(stack: Stack, created: dict[str, Any]) -> None:
    emitted = await _emitted(stack, created)
    demo = stack.tenants[READER]
    today = date.today().isoformat()
    approved = emitted["demo"][:3]
    sums = dict.fromkeys(
        ("dTotGralOpe", "dIVA10", "dIVA5", "dBaseGrav10", "dBaseGrav5", "dSubExe"), Decimal(0)
    )
    async with aiohttp.ClientSession() as session:
        for cdc in approved:
            async with session.get(f"{stack.url}/{DEMO_SLUG}/de/xml/{cdc}", headers=bearer(demo)) as r:
                assert r.status == 200
                for name, value in _amounts(await r.read()).items():
                    sums[name] += value
        status, body = await _get(session, stack, demo, "/reportes/resumen", desde=today, hasta=today)
        assert status == 200, body
        report = body["result"]
        status, monthly = await _get(
            session, stack, demo, "/reportes/resumen", desde=today, hasta=today, agrupar="mes"
        )
        async with session.get(
            f"{stack.url}/{DEMO_SLUG}/reportes/resumen.csv",
            params={"desde": today, "hasta": today},
            headers=bearer(demo),
        ) as r:
            assert r.status == 200
            csv_rows = list(csv.DictReader(io.StringIO(await r.text())))
    [iva] = report["iva"]
    assert iva == {
        "moneda": "PYG", "total": sums["dTotGralOpe"], "gravado10": sums["dBaseGrav10"],
        "iva10": sums["dIVA10"], "gravado5": sums["dBaseGrav5"], "iva5": sums["dIVA5"],
        "exento": sums["dSubExe"],
    }  # fmt: skip
    by_state = {
        (r["tipoDocumento"], r["estado"]): (r["cantidad"], r["total"]) for r in report["porTipoYEstado"]
    }
    assert by_state == {(1, "Aprobado"): (3, sums["dTotGralOpe"]), (1, "Rechazado"): (1, 110000)}
    assert report["rechazos"] == [{"codigo": "1106", "cantidad": 1}]
    top = report["topReceptores"][0]
    assert (top["receptor"], top["razonSocial"], top["cantidad"], top["total"]) == (RUC_A, NAME_A, 2, 160000)
    assert [p["periodo"] for p in report["periodos"]] == [today, today]
    assert [p["periodo"] for p in monthly["result"]["periodos"]] == [today[:7], today[:7]]
    assert [(r["periodo"], r["estado"], r["cantidad"]) for r in csv_rows] == [
        (today, "Aprobado", "3"), (today, "Rechazado", "1"),
    ]  # fmt: skip


async def test_habilitacion_lists_the_test_environment_documents(
    stack: Stack, created: dict[str, Any]
) -> None:
    emitted = await _emitted(stack, created)
    async with aiohttp.ClientSession() as session:
        status, body = await _get(session, stack, stack.tenants[TEST_SLUG], "/reportes/habilitacion")
        assert status == 200, body
        status, demo_body = await _get(session, stack, stack.tenants[DEMO_SLUG], "/reportes/habilitacion")
    summary = body["result"]
    assert summary["ambiente"] == "test", summary
    assert summary["total"] == 2 and summary["aprobados"] == 1, summary
    [factura] = summary["tipos"]
    assert factura["tipoDocumento"] == 1 and factura["cantidad"] == 2
    assert factura["porEstado"] == [
        {"situacion": 2, "estado": "Aprobado", "cantidad": 1},
        {"situacion": 4, "estado": "Rechazado", "cantidad": 1},
    ]
    assert [d["cdc"] for d in factura["documentos"]] == emitted["test"]
    assert factura["documentos"][1]["codigoSifen"] == "1106"
    assert demo_body["result"]["total"] == 0 and demo_body["result"]["tipos"] == []
