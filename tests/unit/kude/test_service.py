"""The kude service on fakes (in-memory store, artifacts, bus): approval → PDF artifact + kude.rendered,
exactly once per document (style §7: slow work outside, one commit with inbox + append + outbox)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from sifenflow_common.artifacts import InMemoryArtifactStore
from sifenflow_common.bus.inprocess import InProcessBus
from sifenflow_common.eventstore.memory import InMemoryEventStore
from sifenflow_common.messages.envelope import Envelope, Event, document_stream
from sifenflow_common.messages.events import DocumentApproved, DocumentSigned, KudeRendered
from sifenflow_common.messages.registry import default_registry
from sifenflow_common.runtime.consumer import Consumer
from sifenflow_common.runtime.metrics import Metrics
from sifenflow_common.runtime.service import ServiceDeps
from sifenflow_common.runtime.settings import Settings
from sifenflow_kude.handlers import SignedXmlMissing
from sifenflow_kude.samples import sample_rde
from sifenflow_kude.service import KudeSettings, build

from .conftest import decode_qr, page_png, pdf_text, squash

pytestmark = pytest.mark.unit
TENANT = uuid.uuid4()


async def _setup(with_signed: bool = True):
    store, artifacts = InMemoryEventStore(), InMemoryArtifactStore()
    registry = default_registry()
    settings = Settings(service_name="kude")
    deps = ServiceDeps(
        settings=settings,
        store=store,
        artifacts=artifacts,
        bus=InProcessBus(),
        registry=registry,
        metrics=Metrics("kude"),
    )
    plan = build(settings, deps, KudeSettings(eager=True))
    consumer = Consumer(store, plan.handlers, consumer="kude", producer="kude/test", registry=registry)
    sample = sample_rde("fe", items=3)
    document_id = uuid.uuid4()
    stream = document_stream(document_id)
    events: list[Event] = []
    if with_signed:
        sha = await artifacts.put(sample.xml, "application/xml")
        events.append(
            DocumentSigned(document_id=document_id, cdc=sample.cdc, signed_xml_sha256=sha, qr_url=sample.qr)
        )
    approved = DocumentApproved(
        document_id=document_id, cdc=sample.cdc, sifen_code="0260", sifen_message="Aprobado"
    )
    events.append(approved)
    envelopes = [Envelope.wrap(e, tenant_id=TENANT, producer="tests/1") for e in events]
    await store.append(stream, 0, envelopes, publish=False)
    return store, artifacts, consumer, stream, envelopes[-1].at(stream, len(envelopes)), sample


async def test_approval_renders_the_kude_once(tmp_path: Path) -> None:
    store, artifacts, consumer, stream, approved, sample = await _setup()
    await consumer(approved)
    await consumer(approved)  # redelivery: inbox drops it
    recorded = await store.read_stream(stream)
    rendered = [r for r in recorded if r.envelope.type == KudeRendered.TYPE]
    assert len(rendered) == 1
    payload = default_registry().parse_as(rendered[0].envelope, KudeRendered)
    assert payload.cdc == sample.cdc
    assert await artifacts.media_type(payload.pdf_sha256) == "application/pdf"
    pdf = await artifacts.get(payload.pdf_sha256)
    assert ("CDC: " + " ".join(sample.cdc[i : i + 4] for i in range(0, 44, 4))) in squash(
        pdf_text(pdf, tmp_path)
    )
    assert decode_qr(page_png(pdf, tmp_path)) == [sample.qr]
    assert [e.type for e in store.outbox] == [KudeRendered.TYPE]


async def test_a_new_approval_message_does_not_render_again() -> None:
    store, _, consumer, stream, approved, _ = await _setup()
    await consumer(approved)
    replay = approved.model_copy(update={"message_id": uuid.uuid4()})  # e.g. a replayed projection
    await consumer(replay)
    recorded = await store.read_stream(stream)
    assert [r.envelope.type for r in recorded].count(KudeRendered.TYPE) == 1


async def test_approval_without_signed_xml_fails_for_retry() -> None:
    store, _, consumer, stream, approved, _ = await _setup(with_signed=False)
    with pytest.raises(SignedXmlMissing):
        await consumer(approved)
    assert [r.envelope.type for r in await store.read_stream(stream)] == [DocumentApproved.TYPE]


def test_not_eager_by_default_subscribes_to_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUDE_EAGER", raising=False)
    deps = ServiceDeps(
        settings=Settings(service_name="kude"),
        store=InMemoryEventStore(),
        artifacts=InMemoryArtifactStore(),
        bus=InProcessBus(),
        registry=default_registry(),
        metrics=Metrics("kude"),
    )
    assert build(deps.settings, deps).handlers == {}
    monkeypatch.setenv("KUDE_EAGER", "1")
    assert list(build(deps.settings, deps).handlers) == [DocumentApproved.TYPE]
