"""Property-based hostile clients against ``sifenflow run`` on the real PostgreSQL.

Over every create path (de/create, lote/create, recibo/create, /invoicing/emit/*, /bulk, events)
and every other body-taking route: no answer is a 5xx, no traceback reaches the log, and every
document a 2xx accepted reaches a final state (whatever the API accepts, the builder can build).
Derandomized (same cases every run) and bounded: 2,000+ cases.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.hostile.stack import FINAL, RunStack, final_states, run_stack
from tests.e2e.hostile.strategies import (
    DOCUMENT_NAMES,
    RECIBO,
    Body,
    base_document,
    encoded,
    json_values,
    mutated,
    raw_bodies,
    to_text,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)
# HOSTILE_FUZZ_SCALE=10 runs a tenth of the cases (while developing); the suite runs them all
SCALE = int(os.environ.get("HOSTILE_FUZZ_SCALE", "100"))
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|\"exception\":")
DOCS = {name: base_document(name) for name in DOCUMENT_NAMES}
RECIBO_DOC = base_document(RECIBO)
INVOICING_BODY = {
    "cliente": {"ruc": "80069563-1", "razonSocial": "Cliente SA", "tipoContribuyente": 2, "tipoOperacion": 1},
    "items": [
        {"codigo": "A", "descripcion": "Servicio", "cantidad": 1, "precioUnitario": 11000, "ivaTipo": 10}
    ],
}


class Seen:
    def __init__(self) -> None:
        self.cdcs: list[str] = []
        self.batches: list[str] = []
        self.cases = 0


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunStack, Seen]]:
    tmp: Path = tmp_path_factory.mktemp("hostile")
    with run_stack(tmp) as stack:
        yield stack, Seen()


def send(stack: RunStack, seen: Seen, method: str, path: str, body: Body, *, creates: bool = True) -> Any:
    headers = {"Content-Type": body.content_type, "Authorization": f"Bearer {stack.api_key}"}
    answer = stack.request(method, path, body.data, headers)
    seen.cases += 1
    assert answer.status < 500, (path, body.data[:300], answer.raw[:500])
    if creates and 200 <= answer.status < 300 and isinstance(answer.body, dict):
        for key in ("deList", "reciboList"):
            seen.cdcs += [d["cdc"] for d in answer.body.get(key) or [] if d.get("cdc")]
        if isinstance(answer.body.get("cdc"), str):
            seen.cdcs.append(answer.body["cdc"])
        if answer.body.get("batchId"):
            seen.batches.append(answer.body["batchId"])
    return answer


documents = st.sampled_from(DOCUMENT_NAMES).flatmap(lambda name: mutated(DOCS[name]))


@settings(FUZZ, max_examples=SCALE * 250 // 100)
@given(doc=documents.flatmap(encoded))
def test_de_create(hostile: tuple[RunStack, Seen], doc: Body) -> None:
    send(*hostile, "POST", "/demo/de/create", doc)


@settings(FUZZ, max_examples=SCALE * 450 // 100)
@given(docs=st.lists(documents, min_size=1, max_size=3).flatmap(encoded))
def test_lote_create(hostile: tuple[RunStack, Seen], docs: Body) -> None:
    send(*hostile, "POST", "/demo/lote/create", docs)


@settings(FUZZ, max_examples=SCALE * 200 // 100)
@given(doc=mutated(RECIBO_DOC).flatmap(encoded))
def test_recibo_create(hostile: tuple[RunStack, Seen], doc: Body) -> None:
    send(*hostile, "POST", "/demo/recibo/create", doc)


@settings(FUZZ, max_examples=SCALE * 200 // 100)
@given(
    kind=st.sampled_from(("invoice", "credit-note", "debit-note", "remision")),
    body=mutated(INVOICING_BODY).flatmap(encoded),
)
def test_invoicing_emit(hostile: tuple[RunStack, Seen], kind: str, body: Body) -> None:
    send(*hostile, "POST", f"/invoicing/emit/{kind}?company_id=demo", body)


@settings(FUZZ, max_examples=SCALE * 150 // 100)
@given(lines=st.lists(documents.map(to_text) | st.text(max_size=50), min_size=1, max_size=4))
def test_bulk(hostile: tuple[RunStack, Seen], lines: list[str]) -> None:
    data = "\n".join(lines).encode("utf-8", errors="surrogatepass")
    send(*hostile, "POST", "/demo/bulk", Body(data, "application/x-ndjson"))


EVENT_BODIES = {
    "cancelacion": {"cdc": "0" * 44, "motivo": "Error en la carga del documento"},
    "inutilizacion": {
        "tipoDocumento": 1,
        "establecimiento": "001",
        "punto": "001",
        "desde": 900000,
        "hasta": 900001,
        "motivo": "Rango no utilizado por error",
    },
    "conformidad": {"cdc": "0" * 44, "tipoConformidad": 1, "fechaRecepcion": "2024-06-15T10:00:00"},
    "disconformidad": {"cdc": "0" * 44, "motivo": "Mercadería dañada"},
    "desconocimiento": {"cdc": "0" * 44, "motivo": "No reconocido", "fechaEmision": "2024-06-15T10:00:00"},
    "notificacion": {"cdc": "0" * 44, "fechaEmision": "2024-06-15T10:00:00", "fechaRecepcion": "2024-06-16"},
    "nominacion": {"cdc": "0" * 44, "motivo": "Nominación", "receptor": {"ruc": "80069563-1"}},
    "transporte": {"cdc": "0" * 44, "motivo": "Cambio de chofer"},
}


@settings(FUZZ, max_examples=SCALE * 250 // 100)
@given(kind=st.sampled_from(sorted(EVENT_BODIES)), data=st.data())
def test_events(hostile: tuple[RunStack, Seen], kind: str, data: st.DataObject) -> None:
    body = data.draw(mutated(EVENT_BODIES[kind]).flatmap(encoded))
    send(*hostile, "POST", f"/demo/evento/{kind}", body, creates=False)


OTHER_POSTS = (
    ("POST", "/demo/de/estado"),
    ("POST", "/demo/de/pdf"),
    ("POST", "/demo/de/email"),
    ("POST", "/demo/webhooks"),
    ("POST", "/demo/numeracion/huecos/inutilizar"),
    ("POST", "/invoicing/consult/ruc"),
    ("POST", "/invoicing/consult/document"),
    ("POST", "/invoicing/events/cancel?company_id=demo"),
    ("POST", "/demo/lote/draft-confirm/99999999999999999999"),
    ("GET", "/demo/de/id/9223372036854775808"),
    ("GET", "/demo/distritos/%C2%B2"),
)
SHAPES = {
    "/demo/de/estado": {"cdcList": [{"cdc": "0" * 44}]},
    "/demo/de/email": {"cdc": "0" * 44, "email": "a@b.com"},
    "/demo/webhooks": {"url": "https://example.com/hook", "events": ["document.approved"]},
    "/demo/de/pdf": {"cdc": "0" * 44},
}


@settings(FUZZ, max_examples=SCALE * 300 // 100)
@given(route=st.sampled_from(OTHER_POSTS), data=st.data())
def test_every_other_body_route(
    hostile: tuple[RunStack, Seen], route: tuple[str, str], data: st.DataObject
) -> None:
    method, path = route
    shape = SHAPES.get(path)
    value = data.draw(mutated(shape) if shape is not None else json_values())
    body = data.draw(st.one_of(encoded(value), raw_bodies))
    send(*hostile, method, path, body, creates=False)


@settings(FUZZ, max_examples=SCALE * 300 // 100)
@given(
    path=st.sampled_from(
        (
            "/demo/de/create",
            "/demo/lote/create",
            "/demo/recibo/create",
            "/invoicing/emit/invoice?company_id=demo",
        )
    ),
    body=raw_bodies | json_values().flatmap(encoded),
)
def test_raw_bodies(hostile: tuple[RunStack, Seen], path: str, body: Body) -> None:
    send(*hostile, "POST", path, body)


def test_zz_every_accepted_document_reaches_a_final_state(hostile: tuple[RunStack, Seen]) -> None:
    """Runs after the properties above (file order): what they got accepted, SIFEN decided on."""
    stack, seen = hostile
    assert seen.cases >= 20 * SCALE, seen.cases
    # a share of the variants keep a valid document (a mutation of a field that admits it)
    assert len(seen.cdcs) >= SCALE // 2, "the strategies lost their valid base documents"
    states = final_states(stack, seen.cdcs)
    print(f"hostile cases: {seen.cases}, accepted documents: {len(seen.cdcs)}, bulks: {len(seen.batches)}")
    stuck = {cdc: states.get(cdc) for cdc in seen.cdcs if states.get(cdc) not in FINAL}
    assert not stuck, stuck
    deadline = time.monotonic() + 60
    for batch in seen.batches:
        while True:
            view = stack.request(
                "GET", f"/demo/bulk/{batch}", headers={"Authorization": f"Bearer {stack.api_key}"}
            )
            assert view.status == 200, view.raw[:300]
            if view.body["status"] not in ("recibido", "procesando") or time.monotonic() > deadline:
                break
            time.sleep(0.3)
        assert view.body["status"] in ("completado", "fallido"), view.body
    log = stack.log_text()
    assert not TRACEBACK.search(log), TRACEBACK.search(log)
