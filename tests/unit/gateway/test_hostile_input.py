"""Hostile bodies on the gateway (fakes): refusals with a stable code and the JSON path."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.gateway.conftest import MASTER, Harness

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("label", ["a\x00b", "x" * 101, ["x"], 12, "tab\there"])
async def test_api_key_label_must_be_short_printable_text(gw: Harness, label: Any) -> None:
    path = f"/admin/tenants/{gw.tenant.id}/apikeys"
    headers = {"Authorization": f"Bearer {MASTER}"}
    resp = await gw.client.post(path, json={"role": "lectura", "label": label}, headers=headers)
    assert resp.status == 400
    body = await resp.json()
    assert body["code"] in ("ETIQUETA_INVALIDA", "JSON_INVALIDO") and body["errores"][0]["path"].endswith(
        "label"
    )
    ok = await gw.client.post(path, json={"role": "lectura", "label": "x" * 100}, headers=headers)
    assert ok.status == 201


@pytest.mark.parametrize(
    ("raw", "path"),
    [
        (b'{"cliente": {"razonSocial": NaN}}', "$.cliente.razonSocial"),
        (b'{"cliente": {"razonSocial": "a\\u0000"}}', "$.cliente.razonSocial"),
        (b'{"items": [1, 2, {"codigo": 1e999}]}', "$.items[2].codigo"),
        (b'{"numero": 1, "timbrado": ' + b"9" * 41 + b"}", "$.timbrado"),
    ],
)
async def test_gateway_answers_json_invalido_with_the_path(gw: Harness, raw: bytes, path: str) -> None:
    resp = await gw.client.post("/acme/de/create", data=raw, headers=gw.auth())
    assert resp.status == 400
    body = await resp.json()
    assert body["code"] == "JSON_INVALIDO" and body["errores"][0]["path"] == path


async def test_another_charset_is_415(gw: Harness) -> None:
    headers = {**gw.auth(), "Content-Type": "application/json; charset=latin-1"}
    resp = await gw.client.post("/acme/de/create", data='{"a": "ñ"}'.encode("latin-1"), headers=headers)
    assert resp.status == 415
    assert (await resp.json())["code"] == "CHARSET_NO_SOPORTADO"
