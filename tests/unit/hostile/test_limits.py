"""Documented limits of free-text fields outside the documents (docs/gateway-api.md, text limits)."""

from __future__ import annotations

from typing import Any

import pytest

from sifenflow_common.tenants.input import parse_tenant_input
from sifenflow_common.tenants.mail import parse_mail_input
from tests.unit.gateway.samples import tenant_body

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("key", "value"),
    [("nombre", "x" * 256), ("cscId", "12345"), ("csc", "A" * 65), ("certificatePassword", "p" * 1025)],
)
def test_tenant_text_over_its_limit_is_refused(key: str, value: str) -> None:
    data, issues = parse_tenant_input({**tenant_body("limites", with_cert=False), key: value})
    assert data is None
    assert [(i.code, i.path) for i in issues] == [("LONGITUD_INVALIDA", key)]


def test_tenant_text_at_its_limit_is_taken() -> None:
    data, issues = parse_tenant_input(
        {**tenant_body("limites", with_cert=False), "nombre": "x" * 255, "cscId": 1}
    )
    assert data is not None, issues
    assert data.csc_id == "1"


@pytest.mark.parametrize(
    ("smtp", "path"),
    [
        ({"user": "u" * 321}, "smtp.user"),
        ({"password": "p" * 1025}, "smtp.password"),
        ({"from": "a" * 250 + "@b.com"}, "smtp.from"),
    ],
)
def test_smtp_text_over_its_limit_is_refused(smtp: dict[str, Any], path: str) -> None:
    body = {"smtp": {"host": "smtp.example.com", "port": 587, "from": "a@b.com", **smtp}}
    _, issues = parse_mail_input(body)
    assert [i.path for i in issues] == [path]
