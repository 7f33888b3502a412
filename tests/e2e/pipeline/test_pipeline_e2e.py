"""End to end over HTTP, through every service and the SIFEN simulator, in both deployment shapes
(every service its own process on PostgreSQL + RabbitMQ, and ``sifenflow run``).

Rules: MT v150 siRecepDE (sync, 0260 approved), siRecepLoteDE/siResultLoteDE (≤50 DE of one type,
0300 → 0361 → 0362), 1106 (punto de expedición not in the timbrado); FacturaSend response envelope
(facturasend-api.md §1-2).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from lxml import etree

from sifenflow_common.documents.recibo import RECIBO_NS, recibo_schema
from sifenflow_common.sifen.test_ca import ensure_test_ca
from sifenflow_common.sifen.xsd import SCHEMA_RDE, schema_errors
from sifenflow_common.testing import eventually
from sifenflow_standalone.demo import DEMO_SLUG, demo_invoice
from tests.e2e.pipeline.stack import Stack, bearer, cli, statuses
from tests.fixtures.recibo_seed import seed_recibo

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]


async def post(
    session: aiohttp.ClientSession, stack: Stack, path: str, body: Any, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    async with session.post(f"{stack.url}{path}", json=body, headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def test_de_create_is_approved_with_a_cdc(stack: Stack) -> None:
    demo = stack.tenants[DEMO_SLUG]
    async with aiohttp.ClientSession() as session:
        status, body = await post(session, stack, f"/{demo.slug}/de/create", demo_invoice(), bearer(demo))
    assert status == 200, body
    assert body["success"] is True
    [de] = body["deList"]
    assert len(de["cdc"]) == 44 and de["cdc"].startswith("01")  # iTiDE 1, MT v150 §10.1
    assert de["estado"] == "Aprobado", de
    assert de["respuesta_codigo"] == "0260"


def correlated_services(stack: Stack, correlation_id: str) -> set[str]:
    """Services whose structured (JSON) log lines carry ``correlation_id``; every line read must be
    structured, with a level and a timestamp."""
    found: set[str] = set()
    assert stack.logs is not None
    for path in stack.logs.rglob("*.log"):
        for line in path.read_text(errors="replace").splitlines():
            if correlation_id not in line:
                continue
            record = json.loads(line)
            assert record["level"] in ("debug", "info", "warning", "error") and record["timestamp"], record
            if record.get("correlation_id") == correlation_id:
                found.add(record["service"])
    return found


async def test_a_documents_correlation_id_is_in_the_log_lines_of_every_service(stack: Stack) -> None:
    """The gateway's correlation id (X-Correlation-Id, echoed back) goes with the document's
    events, and every service binds it to its log lines (LOG_LEVEL=info, JSON)."""
    demo = stack.tenants[DEMO_SLUG]
    correlation_id = str(uuid.uuid4())
    headers = {**bearer(demo), "X-Correlation-Id": correlation_id}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{stack.url}/{demo.slug}/de/create", json=demo_invoice(), headers=headers) as response,
    ):
        body = await response.json()
        assert response.headers["X-Correlation-Id"] == correlation_id
    assert response.status == 200 and body["deList"][0]["estado"] == "Aprobado", body

    def logged() -> set[str]:
        services = correlated_services(stack, correlation_id)
        assert {"gateway", "builder", "signer", "sender"} <= services, services
        return services

    await eventually(logged, 30, 0.2)


async def test_lote_of_fifty_all_approved(stack: Stack) -> None:
    demo = stack.tenants[DEMO_SLUG]
    async with aiohttp.ClientSession() as session:
        status, body = await post(
            session, stack, f"/{demo.slug}/lote/create", [demo_invoice() for _ in range(50)], bearer(demo)
        )
        assert status == 200, body
        cdcs = [d["cdc"] for d in body["deList"]]
        assert len(set(cdcs)) == 50

        async def all_approved() -> None:
            found = await statuses(session, stack, demo, cdcs)
            estados = [found[c]["estado"] for c in cdcs]
            assert estados == ["Aprobado"] * 50, sorted(set(estados))

        await eventually(all_approved, timeout=60, interval=0.5)


async def test_recibo_is_signed_never_sent_to_sifen_and_aprobado(stack: Stack, tmp_path: Path) -> None:
    """facturasend-api §2.4: the recibo digital (CDC 55…) is signed with the DE's machinery and
    approved without SIFEN; ``xml=true`` answers the signed XML, which xmlsec1 verifies."""
    demo = stack.tenants[DEMO_SLUG]
    recibo = {
        "fecha": demo_invoice()["fecha"],
        "establecimiento": "001",
        "punto": "001",
        "concepto": "Cuota 1 de 3",
        "total": 150000,
        "cliente": {"contribuyente": False, "razonSocial": "CONSUMIDOR FINAL", "documentoTipo": 5,
                    "tipoOperacion": 2},
    }  # fmt: skip
    async with aiohttp.ClientSession() as session:
        status, body = await post(
            session, stack, f"/{demo.slug}/recibo/create?xml=true", recibo, bearer(demo)
        )
        assert status == 200, body
        [entry] = body["reciboList"]
        assert entry["cdc"].startswith("55") and entry["estado"] == "Aprobado"
        signed = entry["xml"]
        assert signed and ":rRec " in signed[:300] and "<Signature" in signed, entry

        async def approved_in_the_read_model() -> None:
            found = await statuses(session, stack, demo, [entry["cdc"]])
            assert found[entry["cdc"]]["estado"] == "Aprobado", found

        await eventually(approved_in_the_read_model, timeout=30, interval=0.3)
        async with session.get(f"{stack.url}/{demo.slug}/de/xml/{entry['cdc']}", headers=bearer(demo)) as r:
            assert r.status == 200 and (await r.text()) == signed
    path = tmp_path / "recibo.xml"
    path.write_text(signed, encoding="utf-8")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(ensure_test_ca(stack.ca_dir).certificate_pem)
    verified = await asyncio.to_thread(
        subprocess.run,
        ["xmlsec1", "--verify", "--id-attr:Id", "Rec", "--trusted-pem", str(ca), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr


async def test_documented_recibo_example_is_aprobado_with_its_total_and_retentions(
    stack: Stack, tmp_path: Path
) -> None:
    """facturasend-api §2.4 example (seed-examples/recibo-create.json) with today's date and a
    3-digit punto: the total is the sum of the associated documents (185000 + 186000), the IVA and
    renta withheld stay in the XML, the KuDE and the read API; every correction is a warning. The
    example's own punto (1017) cannot be represented in a CDC: a 400 on data.punto."""
    demo = stack.tenants[DEMO_SLUG]
    fecha = demo_invoice()["fecha"]
    async with aiohttp.ClientSession() as session:
        status, refused = await post(
            session, stack, f"/{demo.slug}/recibo/create", seed_recibo(fecha=fecha), bearer(demo)
        )
        assert status == 400 and refused["success"] is False, refused
        assert [e["path"] for e in refused["errores"]] == ["data.punto"], refused

        status, body = await post(
            session,
            stack,
            f"/{demo.slug}/recibo/create?xml=true",
            seed_recibo(fecha=fecha, punto=1),
            bearer(demo),
        )
        assert status == 200, body
        [entry] = body["reciboList"]
        assert entry["estado"] == "Aprobado" and entry["numero"].startswith("001-001-"), entry
        codes = {w["code"] for w in body["warnings"]}
        assert codes == {"TOTAL_RECALCULADO", "DESCRIPCION_POR_DEFECTO", "PAGO_DISTINTO_DEL_TOTAL"}, body
        xml = etree.fromstring(entry["xml"].encode())
        ns = {"rec": RECIBO_NS}
        assert xml.findtext("rec:Rec/rec:gCamRec/rec:dTotRec", namespaces=ns) == "371000"
        assert [x.text for x in xml.iterfind(".//rec:dMonRetIVA", ns)] == ["10000"]
        assert [x.text for x in xml.iterfind(".//rec:dMonRetRenta", ns)] == ["5000"]
        assert recibo_schema().validate(xml), recibo_schema().error_log

        async with session.get(f"{stack.url}/{demo.slug}/de/cdc/{entry['cdc']}", headers=bearer(demo)) as r:
            record = (await r.json())["result"]
        assert record["data"]["total"] == 371000, record
        first = record["data"]["documentoAsociado"][0]
        assert (first["montoRetencionIva"], first["montoRetencionRenta"]) == (10000, 5000), record

        async with session.get(f"{stack.url}/{demo.slug}/de/kude/{entry['cdc']}", headers=bearer(demo)) as r:
            assert r.status == 200 and r.content_type == "application/pdf", await r.text()
            pdf = await r.read()
    kude = tmp_path / "recibo.pdf"
    kude.write_bytes(pdf)
    extracted = await asyncio.to_thread(
        subprocess.run, ["pdftotext", "-layout", str(kude), "-"], check=True, capture_output=True, text=True
    )
    text = " ".join(extracted.stdout.split())
    assert "Retención IVA" in text and "185.000 10.000 5.000" in text and "₲ 371.000" in text, text


@pytest.mark.parametrize(
    ("tipo", "title"), [(9, "BOLETA DE VENTA ELECTRÓNICA"), (10, "BOLETA RESIMPLE ELECTRÓNICA")]
)
async def test_boletas_are_signed_validated_and_approved_by_the_simulator(
    stack: Stack, tmp_path: Path, tipo: int, title: str
) -> None:
    """iTiDE 9 / 10 of the current tiTiDE, posted as FacturaSend JSON (tipoDocumento 9 / 10): the
    signed rDE validates against the official XSD and verifies with xmlsec1, the simulator approves
    it (0260) and the KuDE carries the type's title."""
    demo = stack.tenants[DEMO_SLUG]
    boleta = demo_invoice(
        tipoDocumento=tipo,
        cliente={"contribuyente": False, "razonSocial": "Sin Nombre", "tipoOperacion": 2, "documentoTipo": 5,
                 "documentoNumero": "0", "pais": "PRY"},
    )  # fmt: skip
    boleta.pop("factura")
    async with aiohttp.ClientSession() as session:
        status, body = await post(session, stack, f"/{demo.slug}/de/create?xml=true", boleta, bearer(demo))
        assert status == 200, body
        [de] = body["deList"]
        assert de["cdc"].startswith(f"{tipo:02d}") and de["estado"] == "Aprobado", de
        assert de["respuesta_codigo"] == "0260"
        signed = de["xml"]
        async with session.get(f"{stack.url}/{demo.slug}/de/kude/{de['cdc']}", headers=bearer(demo)) as r:
            assert r.status == 200, await r.text()
            pdf = await r.read()
    assert schema_errors(etree.fromstring(signed.encode()), SCHEMA_RDE) == []
    path = tmp_path / "boleta.xml"
    path.write_text(signed, encoding="utf-8")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(ensure_test_ca(stack.ca_dir).certificate_pem)
    verified = await asyncio.to_thread(
        subprocess.run,
        ["xmlsec1", "--verify", "--id-attr:Id", "DE", "--trusted-pem", str(ca), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    kude = tmp_path / "boleta.pdf"
    kude.write_bytes(pdf)
    extracted = await asyncio.to_thread(
        subprocess.run, ["pdftotext", "-layout", str(kude), "-"], check=True, capture_output=True, text=True
    )
    assert title in " ".join(extracted.stdout.split())


async def test_validation_error_is_400_with_the_field_path(stack: Stack) -> None:
    demo = stack.tenants[DEMO_SLUG]
    invalid = demo_invoice()
    invalid["items"][0]["cantidad"] = -1
    async with aiohttp.ClientSession() as session:
        status, body = await post(session, stack, f"/{demo.slug}/de/create", invalid, bearer(demo))
    assert status == 400, body
    assert body["success"] is False
    paths = [e.get("path", "") for e in body["errores"]]
    assert any("items[0].cantidad" in p for p in paths), body


async def test_document_sifen_rejects_ends_rechazado_with_code_and_message(stack: Stack) -> None:
    demo = stack.tenants[DEMO_SLUG]
    async with aiohttp.ClientSession() as session:
        status, body = await post(
            session, stack, f"/{demo.slug}/de/create", demo_invoice(punto="002"), bearer(demo)
        )
        assert status == 200, body
        [de] = body["deList"]

        async def rejected() -> dict[str, Any]:
            found = (await statuses(session, stack, demo, [de["cdc"]]))[de["cdc"]]
            assert found["estado"] == "Rechazado", found
            return found

        final = await eventually(rejected, timeout=30, interval=0.3)
    assert final["respuesta_codigo"] == "1106"  # punto de expedición no pertenece al timbrado
    assert "Punto de expedición" in final["respuesta_mensaje"]


async def test_retry_with_the_same_idempotency_key_returns_the_same_cdc(stack: Stack) -> None:
    demo = stack.tenants[DEMO_SLUG]
    headers = {**bearer(demo), "Idempotency-Key": str(uuid.uuid4())}
    document = demo_invoice()
    async with aiohttp.ClientSession() as session:
        first_status, first = await post(session, stack, f"/{demo.slug}/lote/create", [document], headers)
        again_status, again = await post(session, stack, f"/{demo.slug}/lote/create", [document], headers)
    assert first_status == again_status == 200, (first, again)
    assert [d["cdc"] for d in again["deList"]] == [d["cdc"] for d in first["deList"]]
    assert again["loteId"] == first["loteId"]


async def test_one_tenant_cannot_read_another_tenants_document(stack: Stack) -> None:
    demo, other = stack.tenants[DEMO_SLUG], stack.tenants["otra"]
    async with aiohttp.ClientSession() as session:
        status, body = await post(session, stack, f"/{demo.slug}/lote/create", [demo_invoice()], bearer(demo))
        assert status == 200, body
        cdc = body["deList"][0]["cdc"]
        async with session.get(f"{stack.url}/{other.slug}/de/cdc/{cdc}", headers=bearer(other)) as response:
            assert response.status == 404
        async with session.get(f"{stack.url}/{demo.slug}/de/cdc/{cdc}", headers=bearer(other)) as response:
            assert response.status in (403, 404)
        async with session.get(f"{stack.url}/{demo.slug}/de/cdc/{cdc}", headers=bearer(demo)) as response:
            assert response.status == 200


async def test_invoicing_api_emits_all_four_types(stack: Stack) -> None:
    demo = stack.tenants[DEMO_SLUG]
    cliente = {"ruc": "80069563-1", "razonSocial": "Cliente SA", "tipoContribuyente": 2, "tipoOperacion": 1}
    item = {"codigo": "A", "descripcion": "Servicio", "cantidad": 1, "precioUnitario": 11000, "ivaTipo": 10}
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{stack.url}/invoicing/companies", headers=bearer(demo)) as response:
            companies = await response.json()
        assert [c["id"] for c in companies] == [demo.slug]
        path = f"/invoicing/emit/{{}}?company_id={demo.slug}"
        status, invoice = await post(
            session, stack, path.format("invoice"), {"cliente": cliente, "items": [item]}, bearer(demo)
        )
        assert status == 200, invoice
        assert invoice["cdc"].startswith("01") and invoice["qr_url"] and invoice["xml_signed"]
        note = {
            "cliente": cliente,
            "items": [item],
            "motivo": 1,
            "documentoAsociado": {"cdc": invoice["cdc"], "tipo": 1},
        }
        emitted = {"invoice": invoice}
        for kind in ("credit-note", "debit-note"):
            status, emitted[kind] = await post(session, stack, path.format(kind), note, bearer(demo))
            assert status == 200, emitted[kind]
        today, tomorrow = date.today().isoformat(), (date.today() + timedelta(days=1)).isoformat()
        place = {"direccion": "Depósito", "numeroCasa": "10", "departamento": 1, "distrito": 1, "ciudad": 1}
        remision = {  # MT v150 E10 gTransp is mandatory for a nota de remisión (iTiDE 7)
            "cliente": dict(
                cliente, direccion="Ruta 2", numeroCasa="1", departamento=1, distrito=1, ciudad=1
            ),
            "items": [{"codigo": "A", "descripcion": "Caja", "cantidad": 3}],
            "remision": {"kms": 12},
            "transporte": {
                "tipo": 1,
                "modalidad": 1,
                "tipoResponsable": 1,
                "inicioEstimadoTranslado": today,
                "finEstimadoTranslado": tomorrow,
                "salida": place,
                "entrega": place,
                "vehiculo": {
                    "tipo": "Camión",
                    "marca": "Volvo",
                    "documentoTipo": 2,
                    "numeroMatricula": "ABC123",
                },
                "transportista": {
                    "contribuyente": True,
                    "nombre": "Transportes SA",
                    "ruc": "80069563-1",
                    "direccion": "Ruta 1",
                    "chofer": {"documentoNumero": "2345678", "nombre": "Carlos Gómez", "direccion": "Luque"},
                },
            },
        }
        status, emitted["remision"] = await post(
            session, stack, path.format("remision"), remision, bearer(demo)
        )
        assert status == 200, emitted["remision"]
    prefixes = {kind: doc["cdc"][:2] for kind, doc in emitted.items()}
    assert prefixes == {"invoice": "01", "credit-note": "05", "debit-note": "06", "remision": "07"}
    for kind, doc in emitted.items():
        reply = str(doc.get("ns2:rRetEnviDe") or doc)
        assert "Aprobado" in reply, (kind, doc)


async def test_bulk_cli_uploads_ndjson_and_reports_progress(stack: Stack, tmp_path: Path) -> None:
    """`sifenflow bulk FILE.ndjson`: 202 with a batch id, progress lines until the batch is
    completed with every document accepted (the gateway splits it into lotes of ≤50)."""
    demo = stack.tenants[DEMO_SLUG]
    ndjson = tmp_path / "docs.ndjson"
    ndjson.write_text("\n".join(json.dumps(demo_invoice()) for _ in range(60)) + "\n", encoding="utf-8")
    args = ["bulk", str(ndjson), "--url", stack.url, "--tenant", demo.slug, "--api-key", demo.api_key]
    done = await asyncio.to_thread(
        subprocess.run, cli(*args, "--interval", "0.2"), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("envío masivo ") and "60 documentos" in lines[0]
    assert "completado" in lines[-1] and "60/60" in lines[-1] and "aceptados=60" in lines[-1]


async def test_lote_not_queued_and_lost_connection_are_reconciled_then_approved(stack: Stack) -> None:
    """sifen-protocol.md §3 retry policy: a lote answered 0301 (no encolado) and a lote whose
    connection drops (outcome unknown) are reconciled by consulta DE per CDC, then resent; every
    document still ends Aprobado."""
    demo = stack.tenants[DEMO_SLUG]
    faults = {
        "rules": [
            {"kind": "lote_no_encolado", "operations": ["rEnvioLote"], "count": 1},
            {"kind": "reset", "operations": ["rEnvioLote"], "count": 1},
        ]
    }
    async with aiohttp.ClientSession() as session:
        async with session.put(
            f"{stack.sim_url}/admin/faults", json=faults, headers=stack.sim_admin
        ) as response:
            assert response.status == 200, await response.text()
        try:
            docs = [demo_invoice() for _ in range(5)]
            status, body = await post(session, stack, f"/{demo.slug}/lote/create", docs, bearer(demo))
            assert status == 200, body
            cdcs = [d["cdc"] for d in body["deList"]]

            async def approved() -> None:
                found = await statuses(session, stack, demo, cdcs)
                assert [found[c]["estado"] for c in cdcs] == ["Aprobado"] * 5, found

            await eventually(approved, timeout=60, interval=0.5)
            async with session.get(f"{stack.sim_url}/admin/faults", headers=stack.sim_admin) as response:
                rules = (await response.json())["rules"]
            assert [r["count"] for r in rules] == [0, 0], rules  # both faults did fire
        finally:
            async with session.delete(f"{stack.sim_url}/admin/faults", headers=stack.sim_admin) as response:
                assert response.status in (200, 204)
