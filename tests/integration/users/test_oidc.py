"""OpenID Connect single sign-on against the test provider, over real HTTP: authorization code with
PKCE, state and nonce; the ID token is verified (JWKS signature, iss, aud, exp, nonce)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from sifenflow_common.tenants.model import Role
from tests.integration.users.conftest import Session, Site
from tests.integration.users.oidc_provider import REDIRECT_URL, OidcTestProvider

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture(autouse=True)
def _clean_provider(provider: OidcTestProvider) -> Iterator[None]:
    provider.tamper = {}
    provider.email_verified = True
    yield
    provider.tamper = {}
    provider.email_verified = True


async def _through_provider(site: Site) -> tuple[aiohttp.ClientResponse, dict[str, list[str]]]:
    """Starts at the gateway, follows the browser to the provider, comes back with code and state."""
    start = await site.call("GET", "/auth/oidc")
    assert start.status == 302, await start.text()
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    async with aiohttp.ClientSession() as browser, browser.get(authorize, allow_redirects=False) as back:
        assert back.status == 302, await back.text()
        location = back.headers["Location"]
    assert location.startswith(REDIRECT_URL + "?")
    returned = await site.call("GET", "/auth/oidc/retorno?" + urlsplit(location).query)
    return returned, query


async def test_sign_in_by_oidc_end_to_end(site: Site) -> None:
    tenant = await site.tenant()
    user = await site.user(tenant, Role.CONTADOR)
    site.provider.email = user.email.upper()
    returned, query = await _through_provider(site)
    assert returned.status == 200, await returned.text()
    body = await returned.json()
    assert body["result"]["usuario"]["email"] == user.email
    assert body["result"]["empresas"][0]["rol"] == "contador"
    # the request carried PKCE (S256), state and nonce; the token request the verifier
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    assert site.provider.token_requests[-1]["code_verifier"]
    session = Session.of(returned)
    assert (await site.call("GET", f"/{tenant.slug}/test", cookies=session.cookies)).status == 200


async def test_state_is_single_use(site: Site) -> None:
    user = await site.user(await site.tenant())
    site.provider.email = user.email
    start = await site.call("GET", "/auth/oidc")
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(start.headers["Location"], allow_redirects=False) as back,
    ):
        back_query = urlsplit(back.headers["Location"]).query
    first = await site.call("GET", "/auth/oidc/retorno?" + back_query)
    assert first.status == 200
    replay = await site.call("GET", "/auth/oidc/retorno?" + back_query)
    assert replay.status == 400
    assert (await replay.json())["code"] == "OIDC_ESTADO_INVALIDO"
    forged = await site.call("GET", "/auth/oidc/retorno?code=x&state=inventado")
    assert forged.status == 400


@pytest.mark.parametrize(
    "tamper",
    [
        {"nonce": "otro"},
        {"aud": "otro-cliente"},
        {"iss": "http://otro.example"},
        {"exp": int(time.time()) - 3600},
        {"other_key": True},
    ],
    ids=["nonce", "aud", "iss", "exp", "signature"],
)
async def test_an_id_token_that_does_not_verify_is_refused(site: Site, tamper: dict[str, Any]) -> None:
    user = await site.user(await site.tenant())
    site.provider.email = user.email
    site.provider.tamper = tamper
    returned, _ = await _through_provider(site)
    assert returned.status == 401, await returned.text()
    assert (await returned.json())["code"] == "OIDC_TOKEN_INVALIDO"
    assert "sf_access" not in returned.cookies


async def test_unverified_email_and_unknown_user_are_refused(site: Site) -> None:
    user = await site.user(await site.tenant())
    site.provider.email = user.email
    site.provider.email_verified = False
    returned, _ = await _through_provider(site)
    assert returned.status == 403
    assert (await returned.json())["code"] == "OIDC_EMAIL_NO_VERIFICADO"

    site.provider.email_verified = True
    site.provider.email = "sin-cuenta-" + user.email
    returned, _ = await _through_provider(site)
    assert returned.status == 403
    assert (await returned.json())["code"] == "USUARIO_NO_REGISTRADO"


async def test_provider_refusal_is_a_401(site: Site) -> None:
    response = await site.call("GET", "/auth/oidc/retorno?error=access_denied&state=x")
    assert response.status == 401
    assert (await response.json())["code"] == "OIDC_RECHAZADO"


async def test_a_code_the_provider_does_not_know_is_refused(site: Site) -> None:
    user = await site.user(await site.tenant())
    site.provider.email = user.email
    start = await site.call("GET", "/auth/oidc")
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    returned = await site.call("GET", f"/auth/oidc/retorno?code=inventado&state={state}")
    assert returned.status == 401
    assert (await returned.json())["code"] == "OIDC_TOKEN_INVALIDO"
