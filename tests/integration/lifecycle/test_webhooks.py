"""Signed webhooks end to end: events appended to the real event store, published by the store's
relay to RabbitMQ, queued by the notifier, delivered over real HTTP to a receiver on loopback.

Rules: docs/webhooks.md (signature ``t=<unix>,v1=HMAC-SHA256(secret, "<t>." + body)``, same
delivery id on every retry and replay, per-document order, 24 h retry window)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sifenflow_common.messages.events import DocumentApproved, DocumentRejected
from sifenflow_common.messages.lifecycle import DocumentCancelled
from sifenflow_common.testing import eventually
from sifenflow_common.testing.ports import free_port
from sifenflow_common.webhooks.signature import verify
from sifenflow_notifier.expiry import check_certificates
from tests.integration.lifecycle.support import LifecycleStack, Receiver, bearer
from tests.unit.gateway.samples import factura

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(90)]

CDC = "01800695631001001000000112022010112345678901"


def approved(document_id: uuid.UUID, cdc: str = CDC) -> DocumentApproved:
    return DocumentApproved(
        document_id=document_id, cdc=cdc, sifen_code="0260", sifen_message="Aprobado", protocol="123"
    )


async def subscribe(
    stack: LifecycleStack, token: str, slug: str, url: str, events: list[str]
) -> dict[str, Any]:
    response = await stack.client.post(
        f"/{slug}/webhooks", json={"url": url, "eventos": events}, headers=bearer(token)
    )
    body = await response.json()
    assert response.status == 201, body
    return dict(body["result"])


async def log_of(stack: LifecycleStack, token: str, slug: str, webhook_id: str) -> list[dict[str, Any]]:
    response = await stack.client.get(f"/{slug}/webhooks/{webhook_id}/deliveries", headers=bearer(token))
    assert response.status == 200
    return list((await response.json())["result"])


async def test_signature_verifies_with_the_documented_algorithm(lc_stack: LifecycleStack) -> None:
    receiver = await Receiver().start()
    try:
        tenant, token = await lc_stack.tenant()
        sub = await subscribe(lc_stack, token, tenant.slug, receiver.url, ["document.approved"])
        secret = sub["secret"]
        assert secret.startswith("whsec_")
        listed = await (await lc_stack.client.get(f"/{tenant.slug}/webhooks", headers=bearer(token))).json()
        assert [s["id"] for s in listed["result"]] == [sub["id"]]
        assert "secret" not in listed["result"][0]  # shown once, at creation

        document_id = uuid.uuid4()
        [env] = await lc_stack.emit(tenant, f"document-{document_id}", approved(document_id))
        await eventually(lambda: len(receiver.requests) == 1, timeout=20)
        request = receiver.requests[0]

        header = request.headers["X-Sifenflow-Signature"]
        parts = dict(p.split("=", 1) for p in header.split(","))
        expected = hmac.new(
            secret.encode(), parts["t"].encode() + b"." + request.body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(parts["v1"], expected)
        assert abs(int(parts["t"]) - time.time()) < 300
        assert verify(secret, header, request.body, now=time.time())
        assert not verify(secret, header, request.body + b" ", now=time.time())  # body tampered
        assert not verify(secret, header, request.body, now=int(parts["t"]) + 301)  # replayed late
        assert not verify("whsec_other", header, request.body, now=time.time())

        payload = json.loads(request.body)
        assert payload["id"] == request.headers["X-Sifenflow-Delivery"]
        assert payload["type"] == "document.approved"
        assert payload["tenant_id"] == str(tenant.id)
        assert payload["data"]["cdc"] == CDC and payload["data"]["estado"] == "Aprobado"
        assert payload["data"]["situacion"] == 2 and payload["data"]["respuesta_codigo"] == "0260"
        assert env.type == "document.approved"
    finally:
        await receiver.stop()


async def test_receiver_failing_three_times_gets_it_once_more_with_the_same_id(
    lc_stack: LifecycleStack,
) -> None:
    receiver = await Receiver(fail_first=3).start()
    try:
        tenant, token = await lc_stack.tenant()
        sub = await subscribe(lc_stack, token, tenant.slug, receiver.url, ["document.rejected"])
        document_id = uuid.uuid4()
        await lc_stack.emit(
            tenant,
            f"document-{document_id}",
            DocumentRejected(document_id=document_id, cdc=CDC, sifen_code="1101", sifen_message="Rechazo"),
        )

        async def delivered() -> bool:
            log = await log_of(lc_stack, token, tenant.slug, sub["id"])
            assert len(log) == 1
            record = log[0]
            assert record["estado"] == "delivered", record
            assert record["intentos"] == 4 and record["ultimoCodigoHttp"] == 204
            return True

        await eventually(delivered, timeout=20, interval=0.05)
        assert len(receiver.requests) == 4
        ids = {r.headers["X-Sifenflow-Delivery"] for r in receiver.requests}
        bodies = {r.body for r in receiver.requests}
        assert len(ids) == 1 and len(bodies) == 1  # same delivery, same bytes, retried
        assert [r.headers["X-Sifenflow-Attempt"] for r in receiver.requests] == ["1", "2", "3", "4"]
    finally:
        await receiver.stop()


async def test_deliveries_of_one_document_keep_their_order(lc_stack: LifecycleStack) -> None:
    receiver = await Receiver(fail_first=2).start()
    try:
        tenant, token = await lc_stack.tenant()
        await subscribe(
            lc_stack, token, tenant.slug, receiver.url, ["document.approved", "document.cancelled"]
        )
        document_id = uuid.uuid4()
        stream = f"document-{document_id}"
        await lc_stack.emit(tenant, stream, approved(document_id))
        await lc_stack.emit(
            tenant,
            stream,
            DocumentCancelled(
                document_id=document_id, cdc=CDC, event_id=uuid.uuid4(), reason="Error de carga"
            ),
        )
        await eventually(lambda: len(receiver.requests) == 4, timeout=20)
        types = [json.loads(r.body)["type"] for r in receiver.requests]
        # the approval fails twice; the cancellation waits for it (one in flight per document)
        assert types == ["document.approved"] * 3 + ["document.cancelled"]
    finally:
        await receiver.stop()


async def test_dead_and_hanging_receivers_do_not_hold_the_others(lc_stack: LifecycleStack) -> None:
    healthy = await Receiver().start()
    hanging = await Receiver(hang=True).start()
    try:
        tenant, token = await lc_stack.tenant()
        dead = await subscribe(
            lc_stack, token, tenant.slug, f"http://127.0.0.1:{free_port()}/hook", ["document.approved"]
        )
        await subscribe(lc_stack, token, tenant.slug, hanging.url, ["document.approved"])
        await subscribe(lc_stack, token, tenant.slug, healthy.url, ["document.approved"])
        documents = [uuid.uuid4() for _ in range(20)]
        for document_id in documents:
            await lc_stack.emit(tenant, f"document-{document_id}", approved(document_id))

        await eventually(lambda: len(healthy.requests) == 20, timeout=30, interval=0.05)
        got = {json.loads(r.body)["data"]["documentId"] for r in healthy.requests}
        assert got == {str(d) for d in documents}

        async def dead_is_retrying() -> bool:
            log = await log_of(lc_stack, token, tenant.slug, dead["id"])
            assert len(log) == 20
            assert all(r["estado"] == "pending" and r["intentos"] >= 1 for r in log)
            assert all(r["ultimoError"] and "Connect" in r["ultimoError"] for r in log), log[0]
            return True

        await eventually(dead_is_retrying, timeout=20, interval=0.1)
    finally:
        await healthy.stop()
        await hanging.stop()


async def test_replay_of_one_delivery_and_of_all_since_a_time(lc_stack: LifecycleStack) -> None:
    receiver = await Receiver().start()
    try:
        tenant, token = await lc_stack.tenant()
        sub = await subscribe(lc_stack, token, tenant.slug, receiver.url, ["document.approved"])
        since = datetime.now(UTC) - timedelta(seconds=1)
        first, second = uuid.uuid4(), uuid.uuid4()
        await lc_stack.emit(tenant, f"document-{first}", approved(first))
        await lc_stack.emit(tenant, f"document-{second}", approved(second))
        await eventually(lambda: len(receiver.requests) == 2, timeout=20)

        async def all_delivered() -> list[dict[str, Any]]:
            log = await log_of(lc_stack, token, tenant.slug, sub["id"])
            assert [r["estado"] for r in log] == ["delivered", "delivered"]
            return log

        log: list[dict[str, Any]] = await eventually(all_delivered, timeout=10)
        one = log[0]["id"]
        response = await lc_stack.client.post(
            f"/{tenant.slug}/webhooks/{sub['id']}/deliveries/{one}/replay", headers=bearer(token)
        )
        assert response.status == 202, await response.text()
        await eventually(lambda: len(receiver.requests) == 3, timeout=20)
        assert receiver.requests[2].headers["X-Sifenflow-Delivery"] == one
        assert json.loads(receiver.requests[2].body)["id"] == one

        await eventually(all_delivered, timeout=10)
        response = await lc_stack.client.post(
            f"/{tenant.slug}/webhooks/{sub['id']}/replay",
            json={"desde": since.isoformat()},
            headers=bearer(token),
        )
        assert response.status == 202
        assert (await response.json())["result"]["reenviadas"] == 2
        await eventually(lambda: len(receiver.requests) == 5, timeout=20)
        replayed = {r.headers["X-Sifenflow-Delivery"] for r in receiver.requests[3:]}
        assert replayed == {r["id"] for r in log}
    finally:
        await receiver.stop()


async def test_subscription_rules_and_delete(lc_stack: LifecycleStack) -> None:
    tenant, token = await lc_stack.tenant()
    other, other_token = await lc_stack.tenant()
    bad = await lc_stack.client.post(
        f"/{tenant.slug}/webhooks",
        json={"url": "ftp://x", "eventos": ["document.approved"]},
        headers=bearer(token),
    )
    assert bad.status == 400 and (await bad.json())["code"] == "WEBHOOK_URL_INVALIDA"
    for malformed in ("http://[::1/h", "http://[v1.x]:80/h", "http://x:99999/h", "http://a b.example/h"):
        refused = await lc_stack.client.post(
            f"/{tenant.slug}/webhooks", json={"url": malformed, "eventos": ["document.approved"]},
            headers=bearer(token),
        )  # fmt: skip
        body = await refused.json()
        assert refused.status == 400, (malformed, body)
        assert body["code"] in ("WEBHOOK_URL_INVALIDA", "WEBHOOK_URL_NO_RESUELVE"), body
        assert body["errores"][0]["path"] == "url" and body["error"].startswith(("La URL", "Puerto", "No se"))
    unknown = await lc_stack.client.post(
        f"/{tenant.slug}/webhooks",
        json={"url": "http://127.0.0.1:9/h", "eventos": ["de.x"]},
        headers=bearer(token),
    )
    body = await unknown.json()
    assert (
        unknown.status == 400
        and body["code"] == "EVENTO_DESCONOCIDO"
        and body["errores"][0]["path"] == "eventos[0]"
    )

    receiver = await Receiver().start()
    try:
        sub = await subscribe(lc_stack, token, tenant.slug, receiver.url, ["document.approved"])
        foreign = await lc_stack.client.delete(
            f"/{other.slug}/webhooks/{sub['id']}", headers=bearer(other_token)
        )
        assert foreign.status == 404  # another tenant's webhook does not exist for this key
        gone = await lc_stack.client.delete(f"/{tenant.slug}/webhooks/{sub['id']}", headers=bearer(token))
        assert gone.status == 200
        listed = await (await lc_stack.client.get(f"/{tenant.slug}/webhooks", headers=bearer(token))).json()
        assert listed["result"] == []
        document_id = uuid.uuid4()
        await lc_stack.emit(tenant, f"document-{document_id}", approved(document_id))
        # a later subscription of the same tenant proves the event went through the notifier
        probe = await Receiver().start()
        try:
            await subscribe(lc_stack, token, tenant.slug, probe.url, ["document.approved"])
            second = uuid.uuid4()
            await lc_stack.emit(tenant, f"document-{second}", approved(second))
            # (the first event may reach the probe too if the notifier takes it after this subscription)
            await eventually(
                lambda: str(second) in {json.loads(r.body)["data"]["documentId"] for r in probe.requests},
                timeout=20,
            )
        finally:
            await probe.stop()
        assert receiver.requests == []
    finally:
        await receiver.stop()


async def test_certificate_expiring_is_announced_once_per_threshold(lc_stack: LifecycleStack) -> None:
    receiver = await Receiver().start()
    try:
        tenant, token = await lc_stack.tenant()
        await subscribe(lc_stack, token, tenant.slug, receiver.url, ["certificate.expiring"])
        await lc_stack.pool.execute(
            "UPDATE tenants SET certificate_not_after = now() + interval '5 days 1 hour' WHERE id = $1",
            tenant.id,
        )
        assert await check_certificates(lc_stack.pool, lc_stack.store, "test/1") >= 1
        assert await check_certificates(lc_stack.pool, lc_stack.store, "test/1") == 0  # same threshold
        await eventually(lambda: len(receiver.requests) == 1, timeout=20)
        payload = json.loads(receiver.requests[0].body)
        assert payload["type"] == "certificate.expiring" and payload["tenant_id"] == str(tenant.id)
        assert payload["data"]["diasRestantes"] == 6 and payload["data"]["umbral"] == 7
    finally:
        await receiver.stop()


async def test_bulk_completed_is_delivered_once_the_batch_is_accepted(lc_stack: LifecycleStack) -> None:
    receiver = await Receiver().start()
    try:
        tenant, token = await lc_stack.tenant()
        await subscribe(lc_stack, token, tenant.slug, receiver.url, ["bulk.completed"])
        ndjson = "\n".join(json.dumps(factura()) for _ in range(3)).encode() + b'\n{"no": 1}'
        response = await lc_stack.client.post(f"/{tenant.slug}/bulk", data=ndjson, headers=bearer(token))
        assert response.status == 202, await response.text()
        await eventually(lambda: len(receiver.requests) == 1, timeout=20)
        payload = json.loads(receiver.requests[0].body)
        assert payload["type"] == "bulk.completed"
        assert (
            payload["data"]["total"] == 4
            and payload["data"]["aceptados"] == 3
            and payload["data"]["fallidos"] == 1
        )
    finally:
        await receiver.stop()
