"""Users over real HTTP: the gateway on a fresh migrated PostgreSQL database, a real SMTP server
(aiosmtpd) collecting the sign-in and invitation mails, and the test OpenID Connect provider."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import aiohttp
import asyncpg
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from aiosmtpd.controller import Controller

from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.model import Role, Tenant
from sifenflow_common.tenants.repository import ApiKeyRepository, TenantRepository
from sifenflow_common.testing import pg
from sifenflow_common.testing.ports import free_port
from sifenflow_common.users.repository import User, UserRepository
from sifenflow_gateway.app import create_app, postgres_deps, secret_box
from sifenflow_gateway.settings import GatewaySettings
from tests.integration.users.oidc_provider import CLIENT_ID, CLIENT_SECRET, REDIRECT_URL, OidcTestProvider
from tests.unit.gateway.samples import tenant_body, unique_ruc

MASTER = "users-master-key-0123456789abcdef"
PUBLIC_URL = "http://sifenflow.test"


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    async def wait_for(self, address: str, count: int = 1) -> Message:
        for _ in range(500):  # the gateway sends in the background: poll until it arrived
            found = self.to(address)
            if len(found) >= count:
                return found[count - 1]
            await asyncio.sleep(0.02)
        raise AssertionError(f"no mail #{count} for {address}; got {[m['To'] for m in self.messages]}")


def link_in(message: Message, kind: str) -> str:
    """The path (/auth/<kind>/<token>) of the link in a mail, on this gateway's public URL."""
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    match = re.search(rf"{re.escape(PUBLIC_URL)}(/auth/{kind}/[A-Za-z0-9_-]+)", body.decode())
    assert match, body
    return match.group(1)


@pytest.fixture(scope="session")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def provider() -> AsyncIterator[OidcTestProvider]:
    idp = OidcTestProvider()
    await idp.start()
    yield idp
    await idp.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def users_pool() -> AsyncIterator[asyncpg.Pool]:
    name = await pg.create_template(f"sifenflow_users_{uuid.uuid4().hex[:10]}")
    pool = await asyncpg.create_pool(pg.dsn_for(name), min_size=2, max_size=20)
    assert pool is not None
    yield pool
    await pool.close()
    await pg.drop_database(name)


@dataclass
class Site:
    """The gateway and helpers: requests carry exactly the cookies given (no cookie jar)."""

    client: TestClient[Any, Any]
    pool: asyncpg.Pool
    tenants: TenantRepository
    keys: ApiKeyRepository
    users: UserRepository
    mailbox: Mailbox
    provider: OidcTestProvider

    async def tenant(self) -> Tenant:
        slug = f"u{uuid.uuid4().hex[:10]}"
        data, issues = parse_tenant_input(tenant_body(slug, ruc=unique_ruc()))
        assert data is not None, issues
        return await self.tenants.create(data)

    async def key(self, tenant: Tenant, role: Role) -> str:
        return (await self.keys.create(tenant.id, role, f"key-{role}"))[1]

    async def user(self, tenant: Tenant | None, role: Role = Role.ADMIN) -> User:
        user = await self.users.ensure(f"u{uuid.uuid4().hex[:12]}@example.com")
        if tenant is not None:
            await self.users.set_role(user.id, tenant.id, role)
        return user

    async def call(
        self,
        method: str,
        path: str,
        *,
        cookies: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> aiohttp.ClientResponse:
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            response = await http.request(
                method, self.client.make_url(path), headers=sent, allow_redirects=False, **kwargs
            )
            await response.read()
            return response

    async def sign_in(self, user: User) -> Session:
        """The emailed-link way, end to end: request, mail, confirm page, POST."""
        before = len(self.mailbox.to(user.email))
        asked = await self.call("POST", "/auth/enlace", json={"email": user.email})
        assert asked.status == 202
        message = await self.mailbox.wait_for(user.email, before + 1)
        response = await self.call("POST", link_in(message, "enlace"))
        assert response.status == 200, await response.text()
        return Session.of(response)


@dataclass
class Session:
    access: str
    refresh: str
    csrf: str

    @classmethod
    def of(cls, response: aiohttp.ClientResponse, csrf: str | None = None) -> Session:
        c = response.cookies
        kept = c["sf_csrf"].value if "sf_csrf" in c else csrf
        assert kept, "no CSRF token: neither set by this response nor given"
        return cls(c["sf_access"].value, c["sf_refresh"].value, kept)

    @property
    def cookies(self) -> dict[str, str]:
        return {"sf_access": self.access, "sf_csrf": self.csrf}

    @property
    def write_headers(self) -> dict[str, str]:
        return {"X-CSRF-Token": self.csrf}


def users_settings(smtp_port: int, issuer: str, **overrides: Any) -> GatewaySettings:
    values: dict[str, Any] = {
        "master_key": MASTER,
        "public_url": PUBLIC_URL,
        "sync_wait_seconds": 0.2,
        "artifact_wait_seconds": 0.2,
        "rate_limit_per_second": 10_000.0,
        "rate_limit_burst": 10_000,
        "resume_bulk_on_start": False,
        "trust_forwarded_proto": True,
        "auth_smtp_host": "127.0.0.1",
        "auth_smtp_port": smtp_port,
        "auth_smtp_tls": "none",
        "oidc_issuer": issuer,
        "oidc_client_id": CLIENT_ID,
        "oidc_client_secret": CLIENT_SECRET,
        "oidc_redirect_url": REDIRECT_URL,
    }
    values.update(overrides)
    return GatewaySettings(**values)


@pytest_asyncio.fixture(loop_scope="session")
async def site(
    users_pool: asyncpg.Pool, mailbox: tuple[Mailbox, int], provider: OidcTestProvider
) -> AsyncIterator[Site]:
    box, port = mailbox
    settings = users_settings(port, provider.issuer)
    app = create_app(settings, postgres_deps(users_pool, settings))
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    tenants = TenantRepository(users_pool, secret_box(settings), settings.sim_base_url)
    yield Site(
        client, users_pool, tenants, ApiKeyRepository(users_pool), UserRepository(users_pool), box, provider
    )
    await client.close()
