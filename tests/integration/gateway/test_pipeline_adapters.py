"""The gateway's real pipeline adapters on PostgreSQL: DocumentRequested + outbox + request artifact
in the intake transaction, and answers read from the `document_status` read model."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from sifenflow_common.artifacts import MEDIA_XML, PostgresArtifactStore
from sifenflow_common.documents.engine import build_document
from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.eventstore.subscription import Subscription
from sifenflow_common.messages.envelope import Envelope, document_stream
from sifenflow_common.messages.events import DocumentApproved, DocumentSentSync, DocumentSigned
from sifenflow_common.readmodel.documents import DocumentsProjection
from sifenflow_common.testing.eventually import eventually
from sifenflow_gateway.app import create_app, postgres_deps
from tests.integration.gateway.conftest import LiveGateway, bearer, gw_settings
from tests.unit.gateway.samples import factura

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


async def _append(live: LiveGateway, tenant_id: uuid.UUID, document_id: uuid.UUID, event: Any) -> None:
    store = PostgresEventStore(live.pool)
    stream = document_stream(document_id)
    version = await store.stream_version(stream)
    await store.append(stream, version, [Envelope.wrap(event, tenant_id=tenant_id, producer="pipeline/test")])


def _approved(document_id: uuid.UUID, cdc: str) -> DocumentApproved:
    return DocumentApproved(document_id=document_id, cdc=cdc, sifen_code="0260", sifen_message="Aprobado")


async def _project(live: LiveGateway, document_id: uuid.UUID, status: str) -> None:
    """Run the documents projection until it has folded the document to `status` (its reads stop at
    the cluster-wide xmin horizon, so other sessions' open transactions can delay a pass)."""

    async def folded() -> bool:
        await Subscription(live.pool, DocumentsProjection()).catch_up()
        got = await live.pool.fetchval(
            "SELECT status FROM document_status WHERE document_id = $1", document_id
        )
        assert got == status, f"document_status is {got!r}, waiting for {status!r}"
        return True

    await eventually(folded, timeout=30, interval=0.05)


async def _accepted_row(live: LiveGateway, tenant_id: uuid.UUID) -> Any:
    row = await live.pool.fetchrow(
        "SELECT document_id, cdc FROM gateway_documents WHERE tenant_id = $1", tenant_id
    )
    assert row is not None, "not accepted yet"
    return row


async def _document_id(live: LiveGateway, cdc: str) -> uuid.UUID:
    return await live.pool.fetchval("SELECT document_id FROM gateway_documents WHERE cdc = $1", cdc)


async def test_accepted_document_is_requested_on_its_stream_with_outbox(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    cid = uuid.uuid4()
    headers = {**bearer(token), "X-Correlation-Id": str(cid)}
    body = await (await live.client.post(f"/{tenant.slug}/de/create", json=factura(), headers=headers)).json()
    cdc = body["deList"][0]["cdc"]
    document_id = await _document_id(live, cdc)
    events = await PostgresEventStore(live.pool).read_stream(document_stream(document_id))
    assert [e.envelope.type for e in events] == ["document.requested"]
    env = events[0].envelope
    assert env.tenant_id == tenant.id and env.stream_version == 1
    assert env.correlation_id == cid  # the API request that caused it
    assert env.payload["number"] == "0000001" and env.payload["sync"] is True
    assert await live.pool.fetchval("SELECT count(*) FROM outbox WHERE message_id = $1", env.message_id) == 1
    request = json.loads(await PostgresArtifactStore(live.pool).get(env.payload["request_sha256"]))
    # the builder gets the CDC's inputs frozen (MT v150 §10.1: CDC fields must match the XML)
    assert request["cdc"] == cdc == request["data"]["cdc"]
    assert request["data"]["numero"] == 1 and request["params"]["ruc"] == tenant.params["ruc"]
    assert request["data"]["codigoSeguridadAleatorio"] == cdc[34:43]
    # the builder's engine rebuilds exactly this CDC from the artifact
    assert build_document(request["params"], request["data"]).cdc == cdc


async def test_rolled_back_lote_leaves_no_events(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    await live.client.post(f"/{tenant.slug}/de/create", json=factura(numero=2), headers=bearer(token))
    before = await live.pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.id)
    clash = factura(numero=2, observacion="otro")
    resp = await live.client.post(
        f"/{tenant.slug}/lote/create", json=[factura(), clash], headers=bearer(token)
    )
    assert resp.status == 409
    assert await live.pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.id) == before


async def test_draft_appends_only_on_confirm(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    body = await (
        await live.client.post(
            f"/{tenant.slug}/lote/create?draft=true", json=[factura()], headers=bearer(token)
        )
    ).json()
    assert await live.pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.id) == 0
    await live.client.post(f"/{tenant.slug}/lote/draft-confirm/{body['loteId']}", headers=bearer(token))
    assert await live.pool.fetchval("SELECT count(*) FROM events WHERE tenant_id = $1", tenant.id) == 1


async def test_answers_come_from_the_read_model(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    body = await (
        await live.client.post(f"/{tenant.slug}/lote/create", json=[factura()], headers=bearer(token))
    ).json()
    cdc = body["deList"][0]["cdc"]
    document_id = await _document_id(live, cdc)
    # what the pipeline leaves behind: the signed XML artifact, document.signed, document.approved,
    # folded into document_status by the real documents projection
    xml = f'<rDE><DE Id="{cdc}"/></rDE>'.encode()
    sha = await PostgresArtifactStore(live.pool).put(xml, MEDIA_XML)
    qr = f"https://ekuatia.set.gov.py/consultas/qr?nVersion=150&Id={cdc}"
    signed = DocumentSigned(document_id=document_id, cdc=cdc, signed_xml_sha256=sha, qr_url=qr)
    await _append(live, tenant.id, document_id, signed)
    await _append(live, tenant.id, document_id, _approved(document_id, cdc))
    await _project(live, document_id, "approved")
    got = await (await live.client.get(f"/{tenant.slug}/de/cdc/{cdc}", headers=bearer(token))).json()
    assert got["result"]["estado"] == "Aprobado" and got["result"]["info_codigo"] == "0260"
    estado = await (
        await live.client.post(
            f"/{tenant.slug}/de/estado", json={"cdcList": [{"cdc": cdc}]}, headers=bearer(token)
        )
    ).json()
    assert estado["deList"][0]["situacion"] == 2
    assert (
        await (await live.client.get(f"/{tenant.slug}/de/xml/{cdc}", headers=bearer(token))).text()
        == xml.decode()
    )
    again = await live.client.post(f"/{tenant.slug}/lote/create?qr=true&xml=true", json=[factura()],
                                   headers=bearer(token))  # fmt: skip
    assert (await again.json())["deList"][0]["qr"] is None  # not signed yet: null, not a wait forever
    other, other_token = await live.tenant()
    assert (await live.client.get(f"/{other.slug}/de/xml/{cdc}", headers=bearer(other_token))).status == 404


async def test_de_create_waits_for_the_final_state(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    settings = gw_settings(sync_wait_seconds=40.0)
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(settings, postgres_deps(live.pool, settings)))
    )
    await client.start_server()

    async def approve_when_requested() -> None:
        # plays builder/signer/sender: approve as soon as the request is recorded; the projection folds it
        row = await eventually(lambda: _accepted_row(live, tenant.id), timeout=10)
        await _append(live, tenant.id, row["document_id"], _approved(row["document_id"], row["cdc"]))
        await _project(live, row["document_id"], "approved")

    try:
        approver = asyncio.create_task(approve_when_requested())
        resp = await client.post(f"/{tenant.slug}/de/create", json=factura(), headers=bearer(token))
        await approver
        entry = (await resp.json())["deList"][0]
        assert entry["estado"] == "Aprobado" and entry["respuesta_codigo"] == "0260"
    finally:
        await client.close()


async def test_invoicing_returns_sifen_sync_reply(live: LiveGateway) -> None:
    tenant, token = await live.tenant()
    settings = gw_settings(sync_wait_seconds=40.0)
    client: TestClient[Any, Any] = TestClient(
        TestServer(create_app(settings, postgres_deps(live.pool, settings)))
    )
    await client.start_server()

    async def sender_answers() -> None:
        # plays sender: siRecepDE answered 0260, recorded as document.sent_sync + document.approved
        row = await eventually(lambda: _accepted_row(live, tenant.id), timeout=10)
        reply = (
            '<ns2:rRetEnviDe xmlns:ns2="http://ekuatia.set.gov.py/sifen/xsd"><ns2:rProtDe>'
            f"<ns2:Id>{row['cdc']}</ns2:Id><ns2:dEstRes>Aprobado</ns2:dEstRes><ns2:dProtAut>987</ns2:dProtAut>"
            "<ns2:gResProc><ns2:dCodRes>0260</ns2:dCodRes><ns2:dMsgRes>Aprobado</ns2:dMsgRes></ns2:gResProc>"
            "</ns2:rProtDe></ns2:rRetEnviDe>"
        ).encode()
        artifacts = PostgresArtifactStore(live.pool)
        sent = DocumentSentSync(
            document_id=row["document_id"],
            cdc=row["cdc"],
            request_sha256=await artifacts.put(b"<soap/>", MEDIA_XML),
            response_sha256=await artifacts.put(reply, MEDIA_XML),
        )
        await _append(live, tenant.id, row["document_id"], sent)
        await _append(live, tenant.id, row["document_id"], _approved(row["document_id"], row["cdc"]))
        await _project(live, row["document_id"], "approved")

    body = {
        "cliente": {"ruc": "80069563-1", "razonSocial": "Cliente SA", "tipoContribuyente": 2},
        "items": [{"codigo": "A", "descripcion": "X", "cantidad": 1, "precioUnitario": 11000, "ivaTipo": 10}],
    }
    try:
        answering = asyncio.create_task(sender_answers())
        resp = await client.post(
            f"/invoicing/emit/invoice?company_id={tenant.slug}", json=body, headers=bearer(token)
        )
        await answering
        got = await resp.json()
        assert got["estado"] == "Aprobado"
        prot = got["ns2:rRetEnviDe"]["ns2:rProtDe"]
        assert prot["ns2:dProtAut"] == "987" and prot["ns2:gResProc"]["ns2:dCodRes"] == "0260"
        assert prot["ns2:Id"] == got["cdc"]
    finally:
        await client.close()
