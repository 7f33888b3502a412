"""The hostile requests of the field report, one by one, against ``sifenflow run`` on the real
PostgreSQL: each answers a 4xx with a stable code and a path, or is accepted and reaches a final
state; none answers 5xx."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sifenflow_standalone.demo import demo_invoice
from tests.e2e.hostile.stack import FINAL, RunStack, final_states, run_stack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunStack]:
    tmp: Path = tmp_path_factory.mktemp("findings")
    with run_stack(tmp) as running:
        yield running


def post_raw(stack: RunStack, path: str, raw: bytes, content_type: str = "application/json") -> Any:
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {stack.api_key}"}
    return stack.request("POST", path, raw, headers)


@pytest.mark.parametrize(
    ("field", "path"),
    [
        (("cliente", "razonSocial"), "data.cliente.razonSocial"),
        (("items", 0, "descripcion"), "data.items[0].descripcion"),
        (("items", 0, "codigo"), "data.items[0].codigo"),
        (("descripcion",), "data.descripcion"),
    ],
)
@pytest.mark.parametrize("number", [1e300, 1e20, 123456789012345678901234567890])
def test_a_number_in_a_text_field_is_refused_or_built(
    stack: RunStack, field: tuple[Any, ...], path: str, number: Any
) -> None:
    """jsonb writes numbers back in plain notation (1e300 as 301 digits): the gateway validates the
    number as the builder will read it, so a text too long is refused now, not after acceptance."""
    doc = demo_invoice()
    target: Any = doc
    for step in field[:-1]:
        target = target[step]
    target[field[-1]] = number
    answer = stack.post_json("/demo/lote/create", [doc])
    assert answer.status in (200, 400), answer.raw[:500]
    if answer.status == 200:
        cdc = answer.body["deList"][0]["cdc"]
        assert final_states(stack, [cdc], timeout=30).get(cdc) in FINAL, (field, number)
    elif answer.body["code"] == "JSON_INVALIDO":  # more than 40 integer digits once stored
        assert len(str(int(number))) > 40, answer.body
    else:
        assert [e["path"] for e in answer.body["errores"]] == [path], answer.body


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize(
    "raw",
    [
        b'{"tipoDocumento": NaN}',
        b'{"tipoDocumento": Infinity}',
        b'{"tipoDocumento": -Infinity}',
        b'{"descripcion": 1e400}',
        b'{"tipoDocumento": ' + b"9" * 5000 + b"}",
        _nested(100_000),
        b'{"descripcion": "a\\u0000b"}',
        b'{"descripcion": "\\ud800"}',
        b'{"descripcion": "\xff"}',
    ],
)
@pytest.mark.parametrize("path", ["/demo/de/create", "/demo/lote/create", "/demo/recibo/create"])
def test_json_no_database_can_store_is_400_json_invalido(stack: RunStack, raw: bytes, path: str) -> None:
    answer = post_raw(stack, path, raw)
    assert answer.status == 400, answer.raw[:300]
    assert answer.body["code"] == "JSON_INVALIDO" and answer.body["errores"][0]["path"].startswith("$")


def test_another_charset_is_415(stack: RunStack) -> None:
    raw = '{"descripcion": "Señal"}'.encode("latin-1")
    answer = post_raw(stack, "/demo/de/create", raw, "application/json; charset=iso-8859-1")
    assert answer.status == 415 and answer.body["code"] == "CHARSET_NO_SOPORTADO", answer.raw[:300]
    utf8 = post_raw(stack, "/demo/de/create", b"{}", "application/json; charset=UTF-8")
    assert utf8.status == 400 and utf8.body["code"] != "CHARSET_NO_SOPORTADO"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/demo/de/id/9223372036854775808"),
        ("GET", "/demo/de/id/%C2%B2"),
        ("POST", "/demo/lote/draft-confirm/99999999999999999999"),
        ("POST", "/demo/lote/draft-reject/%D9%A3"),
        ("GET", "/demo/distritos/%C2%B2"),
        ("GET", "/demo/ciudades/99999999999999999999999"),
    ],
)
def test_ids_beyond_bigint_or_not_ascii_digits_are_400(stack: RunStack, method: str, path: str) -> None:
    answer = stack.request(method, path, None, {"Authorization": f"Bearer {stack.api_key}"})
    assert answer.status == 400 and answer.body["code"] == "PARAMETRO_INVALIDO", answer.raw[:300]


@pytest.mark.parametrize(
    "body",
    [
        {"cliente": ["80069563-1"], "items": []},
        {"cliente": {"ruc": ["80069563-1"], "razonSocial": {"a": 1}}, "items": [{"codigo": ["A"]}]},
        {"cliente": {"ruc": "80069563-1", "razonSocial": "Cliente SA"}, "items": {"codigo": "A"}},
        [],
    ],
)
def test_invoicing_with_a_list_where_a_scalar_goes_is_400(stack: RunStack, body: Any) -> None:
    answer = stack.post_json("/invoicing/emit/invoice?company_id=demo", body)
    assert answer.status == 400, answer.raw[:300]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/demo/webhooks", {"url": "https://exa\u0000mple.com/h"}),
        ("/demo/webhooks", {"url": "http://[::1"}),
        ("/demo/webhooks", {"url": "https://"}),
        ("/demo/webhooks", {"url": "ftp://example.com/x"}),
        ("/demo/webhooks", {"url": "https://exa mple.com/h"}),
        ("/demo/webhooks", {"url": "https://" + "a" * 3000 + ".com"}),
        ("/demo/webhooks", {"url": "https://example.com:99999/h"}),
        ("/demo/webhooks", {"url": ["https://example.com"]}),
        ("/demo/de/email", {"cdcList": [{"cdc": "0" * 44}], "emails": ["a\u0000@b.com"]}),
        ("/demo/de/email", {"cdcList": [{"cdc": "0" * 44}], "emails": ["a" * 300 + "@b.com"]}),
        ("/demo/evento/cancelacion", {"cdc": "0" * 44, "motivo": "Error\u0000 de carga"}),
        ("/demo/evento/cancelacion", {"cdc": "0" * 44, "motivo": ["Error de carga"]}),
        ("/demo/evento/inutilizacion", {"tipoDocumento": 1, "desde": 2**64, "hasta": 2**64, "motivo": "x"}),
    ],
)
def test_hostile_fields_outside_documents_are_4xx(stack: RunStack, path: str, body: Any) -> None:
    answer = stack.post_json(path, body)
    assert 400 <= answer.status < 500, answer.raw[:300]


def test_nul_or_overlong_key_label_is_400(stack: RunStack) -> None:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {stack.master_key}"}
    for label in ("a\u0000b", "x" * 101, ["x"], "tab\there"):
        raw = json.dumps({"role": "lectura", "label": label}).encode()
        answer = stack.request("POST", "/admin/tenants/demo/apikeys", raw, headers)
        assert answer.status == 400, (label, answer.raw[:300])
    ok = stack.request(
        "POST", "/admin/tenants/demo/apikeys", b'{"role": "lectura", "label": "caja 2"}', headers
    )
    assert ok.status == 201, ok.raw[:300]


@pytest.mark.parametrize(
    "bad", [b'{"tipoDocumento": NaN}', b'{"descripcion": 1e400}', b'{"descripcion": "\\u0000"}']
)
def test_a_bulk_line_postgres_cannot_store_fails_alone(stack: RunStack, bad: bytes) -> None:
    lines = [json.dumps(demo_invoice()).encode() for _ in range(120)]
    lines[59] = bad
    answer = post_raw(stack, "/demo/bulk", b"\n".join(lines), "application/x-ndjson")
    assert answer.status == 202, answer.raw[:300]
    batch = answer.body["batchId"]
    headers = {"Authorization": f"Bearer {stack.api_key}"}
    deadline = time.monotonic() + 90
    view = stack.request("GET", f"/demo/bulk/{batch}", None, headers).body
    while view["status"] not in ("completado", "fallido") and time.monotonic() < deadline:
        time.sleep(0.3)
        view = stack.request("GET", f"/demo/bulk/{batch}", None, headers).body
    assert (view["status"], view["accepted"], view["failed"]) == ("completado", 119, 1), view
    assert [(e["line"], e["code"]) for e in view["errors"]] == [(60, "JSON_INVALIDO")], view["errors"]
