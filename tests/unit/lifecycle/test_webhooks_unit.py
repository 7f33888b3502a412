"""Webhook pieces without I/O: signature (docs/webhooks.md), URL policy, retry schedule, and the
event → delivery mapping with a hand-written fake queue."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.messages.events import DocumentApproved, LoteDocumentResult, LotePolled
from sifenflow_common.messages.lifecycle import DocumentCancelled
from sifenflow_common.messages.registry import default_registry
from sifenflow_common.webhooks.model import NewDelivery, Subscription
from sifenflow_common.webhooks.schedule import next_attempt, retry_delay_s
from sifenflow_common.webhooks.settings import WebhookSettings
from sifenflow_common.webhooks.signature import header_value, parse_header, verify
from sifenflow_common.webhooks.urls import UrlRefused, check_url, embedded_ipv4, is_public
from sifenflow_notifier.handlers import on_lifecycle_event

pytestmark = pytest.mark.unit

CDC = "01800695631001001000000112022010112345678901"


def test_header_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"id":"x"}'
    value = header_value("whsec_abc", 1_700_000_000, body)
    expected = hmac.new(b"whsec_abc", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert value == f"t=1700000000,v1={expected}"
    assert parse_header(value) == (1_700_000_000, [expected])


def test_verify_checks_secret_body_and_tolerance() -> None:
    body = b"{}"
    value = header_value("s3cret", 1000, body)
    assert verify("s3cret", value, body, now=1000 + 300)
    assert not verify("s3cret", value, body, now=1000 + 301)  # outside the 5-minute tolerance
    assert not verify("s3cret", value, body, now=1000 - 301)
    assert not verify("other", value, body, now=1000)
    assert not verify("s3cret", value, b"{ }", now=1000)
    assert not verify("s3cret", "v1=abc", body, now=1000)  # no timestamp
    rotated = value + ",v1=" + "0" * 64
    assert verify("s3cret", rotated, body, now=1000)  # any v1 entry may match


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/h",
        "http://10.1.2.3/h",
        "http://192.168.0.10:8080/h",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/h",
        "http://0.0.0.0/h",
        "http://[::ffff:127.0.0.1]/h",
        "http://[::ffff:7f00:1]/h",  # mapped, hexadecimal
        "http://[::7f00:1]/h",  # compatible ::/96
        "http://[::10.0.0.1]/h",
        "http://[64:ff9b::7f00:1]/h",  # NAT64
        "http://[64:ff9b::a9fe:a9fe]/h",  # NAT64 of 169.254.169.254
        "http://[64:ff9b:1::808:808]/h",  # NAT64 local-use prefix: never public
        "http://[2002:7f00:1::]/h",  # 6to4 of 127.0.0.1
        "http://[2002:c0a8:1::1]/h",  # 6to4 of 192.168.0.1
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/h",  # Teredo, client 127.0.0.1
        "http://[ff02::1]/h",
        "http://2130706433/h",  # 127.0.0.1 as one integer
        "http://127.1/h",
    ],
)
async def test_private_and_loopback_targets_are_refused(url: str) -> None:
    with pytest.raises(UrlRefused) as err:
        await check_url(url, allow_private=False)
    assert err.value.code == "WEBHOOK_URL_PRIVADA"
    await check_url(url, allow_private=True)  # the setting allows them (tests, on-premise)


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",
        "::7f00:1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
    ],
)
def test_ipv6_forms_carrying_ipv4_are_judged_by_their_ipv4_address(address: str) -> None:
    assert [str(a) for a in embedded_ipv4(ipaddress.IPv6Address(address))][-1] == "127.0.0.1"
    assert not is_public(address)


def test_public_forms_carrying_a_public_ipv4_are_public() -> None:
    public = ("8.8.8.8", "2001:4860:4860::8888", "64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8")
    for address in public:
        assert is_public(address), address


async def test_every_resolved_address_is_checked() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return ["8.8.8.8", "127.0.0.1"]  # a public answer first, a loopback one second

    with pytest.raises(UrlRefused) as err:
        await check_url("https://hooks.example.com/x", allow_private=False, resolver=resolver)
    assert err.value.code == "WEBHOOK_URL_PRIVADA"


async def test_public_literal_address_is_accepted_and_bad_urls_refused() -> None:
    await check_url("https://8.8.8.8/hook", allow_private=False)
    await check_url("https://[64:ff9b::808:808]/hook", allow_private=False)
    malformed = ("http://[::1/x", "http://[v1.x]/", "http://a b.com/", "http://a\x00b.com/", "http://x:-1/")
    invalid = ("ftp://8.8.8.8/", "http:///x", "https://user:pw@8.8.8.8/", "https://8.8.8.8:99999/")
    for bad in (*invalid, *malformed):
        with pytest.raises(UrlRefused) as err:
            await check_url(bad, allow_private=False)
        assert err.value.code == "WEBHOOK_URL_INVALIDA"


def test_backoff_grows_with_jitter_and_stops_after_the_window() -> None:
    settings = WebhookSettings(base_delay_s=5, backoff=2, max_delay_s=3600, jitter=0.2)
    rng = random.Random(7)
    for attempt, base in ((1, 5), (2, 10), (3, 20), (10, 2560), (11, 3600), (30, 3600)):
        delay = retry_delay_s(attempt, settings, rng)
        assert base * 0.8 <= delay <= base * 1.2
    delays = {round(retry_delay_s(3, settings, rng), 6) for _ in range(20)}
    assert len(delays) > 1  # jittered, not lock-step
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_attempt(1, now, now + timedelta(hours=24), settings, rng) is not None
    assert next_attempt(12, now, now + timedelta(seconds=60), settings, rng) is None  # past 24 h window


def test_a_day_of_retries_fits_the_default_window() -> None:
    settings = WebhookSettings(jitter=0)
    total, attempts = 0.0, 0
    while total <= settings.max_age_s:
        attempts += 1
        total += retry_delay_s(attempts, settings)
    assert 25 <= attempts <= 40  # about 2 attempts an hour once the delay reaches its cap


class FakeQueue:
    def __init__(self, subscriptions: list[Subscription]) -> None:
        self.subscriptions = subscriptions
        self.queued: list[NewDelivery] = []

    async def matching(self, tenant_id: uuid.UUID, event_type: str) -> list[Subscription]:
        return [s for s in self.subscriptions if s.tenant_id == tenant_id and event_type in s.event_types]

    async def enqueue(self, deliveries: Sequence[NewDelivery]) -> int:
        known = {(d.subscription_id, d.source_message_id) for d in self.queued}
        new = [d for d in deliveries if (d.subscription_id, d.source_message_id) not in known]
        self.queued += new
        return len(new)


def _subscription(tenant: uuid.UUID, *types: str) -> Subscription:
    return Subscription(uuid.uuid4(), tenant, "https://example.com/h", types, None, True, datetime.now(UTC))


async def test_event_becomes_one_delivery_per_matching_subscription_once() -> None:
    tenant = uuid.uuid4()
    wanted = _subscription(tenant, "document.approved")
    queue = FakeQueue(
        [wanted, _subscription(tenant, "document.rejected"), _subscription(uuid.uuid4(), "document.approved")]
    )
    document_id = uuid.uuid4()
    env = Envelope.wrap(
        DocumentApproved(
            document_id=document_id, cdc=CDC, sifen_code="0260", sifen_message="ok", with_observation=True
        ),
        tenant_id=tenant,
        producer="t",
    ).at(f"document-{document_id}", 5)
    assert await on_lifecycle_event(env, queue=queue, registry=default_registry()) == 1
    assert await on_lifecycle_event(env, queue=queue, registry=default_registry()) == 0  # redelivered event
    [delivery] = queue.queued
    assert delivery.subscription_id == wanted.id and delivery.ordering_key == f"document-{document_id}"
    body = json.loads(delivery.body)
    assert body["id"] == str(delivery.id) and body["type"] == "document.approved"
    assert body["data"]["estado"] == "Aprobado con observación" and body["data"]["situacion"] == 3


async def test_lote_completed_only_when_processing_concluded() -> None:
    tenant = uuid.uuid4()
    queue = FakeQueue([_subscription(tenant, "lote.completed")])
    lote_id = uuid.uuid4()
    result = LoteDocumentResult(
        document_id=uuid.uuid4(), cdc=CDC, status="Aprobado", sifen_code="0260", sifen_message="ok"
    )
    in_process = LotePolled(lote_id=lote_id, sifen_code="0361", sifen_message="en proceso")
    done = LotePolled(lote_id=lote_id, sifen_code="0362", sifen_message="concluido", results=(result,))
    registry = default_registry()
    assert (
        await on_lifecycle_event(
            Envelope.wrap(in_process, tenant_id=tenant, producer="t"), queue=queue, registry=registry
        )
        == 0
    )
    assert (
        await on_lifecycle_event(
            Envelope.wrap(done, tenant_id=tenant, producer="t"), queue=queue, registry=registry
        )
        == 1
    )
    data = json.loads(queue.queued[0].body)["data"]
    assert data["aprobados"] == 1 and data["rechazados"] == 0 and data["deList"][0]["cdc"] == CDC


async def test_a_later_event_arriving_first_also_queues_the_earlier_ones_in_stream_order() -> None:
    """Per-document order: document.cancelled (v2) consumed before document.approved (v1)."""
    tenant = uuid.uuid4()
    sub = _subscription(tenant, "document.approved", "document.cancelled")
    queue = FakeQueue([sub])
    document_id = uuid.uuid4()
    stream = f"document-{document_id}"
    approved = Envelope.wrap(
        DocumentApproved(document_id=document_id, cdc=CDC, sifen_code="0260", sifen_message="ok"),
        tenant_id=tenant,
        producer="t",
    ).at(stream, 1)
    cancelled = Envelope.wrap(
        DocumentCancelled(document_id=document_id, cdc=CDC, event_id=uuid.uuid4(), reason="Error"),
        tenant_id=tenant,
        producer="t",
    ).at(stream, 2)

    async def read_stream(name: str) -> list[Envelope]:
        assert name == stream
        return [approved, cancelled]

    registry = default_registry()
    assert await on_lifecycle_event(cancelled, queue=queue, registry=registry, read_stream=read_stream) == 2
    assert [(d.event_type, d.position) for d in queue.queued] == [
        ("document.approved", 1),
        ("document.cancelled", 2),
    ]
    assert await on_lifecycle_event(approved, queue=queue, registry=registry, read_stream=read_stream) == 0
