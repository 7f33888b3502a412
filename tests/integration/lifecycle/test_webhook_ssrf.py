"""Webhook deliveries cannot be steered to a private host by DNS: the notifier resolves the name once
per connection, checks every address (docs/webhooks.md, URL policy) and connects to exactly those,
keeping the URL's host in the request. Real HTTP to a receiver on loopback; the resolver is injected."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from aiohttp import web

from sifenflow_common.testing.ports import free_port
from sifenflow_common.webhooks.model import AttemptResult, ClaimedDelivery
from sifenflow_common.webhooks.settings import WebhookSettings
from sifenflow_notifier.dispatcher import Dispatcher
from sifenflow_notifier.resolver import webhook_session

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(30)]

HOST = "hooks.example.test"  # never resolved by the system: only by the injected resolver
PUBLIC_UNREACHABLE = "2a00::1"  # a global IPv6 address; no listener there


@dataclass
class Loopback:
    port: int
    hosts: list[str] = field(default_factory=list)  # Host header of every request received


@pytest_asyncio.fixture(loop_scope="module")
async def loopback() -> AsyncIterator[Loopback]:
    received = Loopback(free_port())

    async def hook(request: web.Request) -> web.Response:
        received.hosts.append(request.headers.get("Host", ""))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/h", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", received.port).start()
    yield received
    await runner.cleanup()


class SecretOnly:
    """The only part of the delivery store an attempt uses."""

    def open_secret(self, subscription_id: uuid.UUID, sealed: str) -> str:
        return "whsec_test"


def delivery(url: str) -> ClaimedDelivery:
    now = datetime.now(UTC)
    return ClaimedDelivery(
        id=uuid.uuid4(), subscription_id=uuid.uuid4(), tenant_id=uuid.uuid4(), url=url, secret_sealed="x",
        body="{}", attempt=1, created_at=now, expires_at=now + timedelta(hours=1), subscription_active=True,
    )  # fmt: skip


class Rebinding:
    """A DNS answer that changes: ``answers[i]`` for the i-th question, the last one afterwards."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.questions = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        answer = self.answers[min(self.questions, len(self.answers) - 1)]
        self.questions += 1
        return answer


async def attempt(url: str, resolver: Rebinding, *, allow_private: bool) -> AttemptResult:
    settings = WebhookSettings(allow_private_urls=allow_private, timeout_s=2.0)
    session = webhook_session(allow_private=allow_private, concurrency=4, resolver=resolver)
    try:
        return await Dispatcher(SecretOnly(), session, settings).attempt(delivery(url))  # type: ignore[arg-type]
    finally:
        await session.close()


async def test_a_public_answer_then_loopback_never_reaches_loopback(loopback: Loopback) -> None:
    resolver = Rebinding([PUBLIC_UNREACHABLE], ["127.0.0.1"])

    result = await attempt(f"http://{HOST}:{loopback.port}/h", resolver, allow_private=False)

    assert not result.ok
    assert loopback.hosts == []
    assert resolver.questions == 1  # resolved once; the connection went to the checked address


async def test_an_answer_with_a_loopback_address_among_public_ones_is_refused(loopback: Loopback) -> None:
    resolver = Rebinding([PUBLIC_UNREACHABLE, "127.0.0.1"])

    result = await attempt(f"http://{HOST}:{loopback.port}/h", resolver, allow_private=False)

    assert not result.ok and result.error is not None and "privada o local" in result.error
    assert loopback.hosts == []


@pytest.mark.parametrize(
    "literal", ["[::ffff:127.0.0.1]", "[::7f00:1]", "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::ffff:a00:1]"]
)
async def test_literal_forms_of_loopback_are_refused_before_connecting(literal: str) -> None:
    resolver = Rebinding(["127.0.0.1"])

    result = await attempt(f"http://{literal}:9/h", resolver, allow_private=False)

    assert result.error is not None and "privada o local" in result.error
    assert resolver.questions == 0


async def test_the_request_keeps_the_urls_host(loopback: Loopback) -> None:
    resolver = Rebinding(["127.0.0.1"])

    result = await attempt(f"http://{HOST}:{loopback.port}/h", resolver, allow_private=True)

    assert result.ok, result
    assert loopback.hosts == [f"{HOST}:{loopback.port}"]
