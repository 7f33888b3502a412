"""The pure parts of users: email normalisation, tokens, the role alias, what SSO accepts as an
email, and the request path logs may show."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from sifenflow_common.tenants.model import Role
from sifenflow_common.users.tokens import hash_token, new_token, normalize_email
from sifenflow_gateway.authz import ACCESS, ADMIN, READ, SESSION
from sifenflow_gateway.logpath import loggable_path
from sifenflow_gateway.oidc import OidcConfig, verified_email

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Ana@Empresa.COM.py ", "ana@empresa.com.py"),
        ("sin-arroba", None),
        ("dos@@x.py", None),
        ("a@b", None),
        (42, None),
        ("x" * 250 + "@e.py", None),
    ],
)
def test_normalize_email(raw: object, expected: str | None) -> None:
    assert normalize_email(raw) == expected


def test_tokens_are_random_and_only_their_hash_is_kept() -> None:
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 43
    assert hash_token(a) == hash_token(a) != hash_token(b)
    assert a not in hash_token(a)


def test_contador_is_the_read_role_and_lectura_its_alias() -> None:
    assert [r.value for r in Role] == ["admin", "emisor", "contador"]
    assert Role("lectura") is Role.CONTADOR is Role.LECTURA
    assert Role.CONTADOR in READ and Role.CONTADOR not in ADMIN
    with pytest.raises(ValueError):
        Role("jefe")


def test_user_routes_in_the_table() -> None:
    assert ACCESS[("GET", "/auth/yo")] == SESSION
    assert ACCESS[("POST", "/{tenant}/usuarios/invitaciones")] == ADMIN
    assert ACCESS[("GET", "/{tenant}/auditoria")] == ADMIN


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": "Ana@X.py", "email_verified": True}, "ana@x.py"),
        ({"email": "ana@x.py", "email_verified": False}, None),
        ({"email": "ana@x.py", "email_verified": "true"}, None),  # only a JSON true counts
        ({"email": "ana@x.py"}, None),
        ({"email_verified": True}, None),
    ],
)
def test_only_a_verified_email_identifies_the_user(claims: dict[str, Any], expected: str | None) -> None:
    assert verified_email(claims) == expected


def test_oidc_config_repr_hides_the_secret() -> None:
    config = OidcConfig("https://idp", "client", "s3creto-de-cliente", "https://gw/auth/oidc/retorno")
    assert "s3creto" not in repr(config)


async def _noop(_: web.Request) -> web.Response:
    return web.Response()


async def test_log_path_hides_one_time_tokens() -> None:
    app = web.Application()
    app.router.add_post("/auth/enlace/{token}", _noop)
    app.router.add_get("/{tenant}/de/cdc/{cdc}", _noop)
    for method, path, expected in [
        ("POST", "/auth/enlace/s3cr3t-token", "/auth/enlace/{token}"),
        ("GET", "/demo/de/cdc/0123", "/demo/de/cdc/0123"),
    ]:
        request = make_mocked_request(method, path, app=app)
        match = await app.router.resolve(request)
        request._match_info = match
        assert loggable_path(request) == expected
