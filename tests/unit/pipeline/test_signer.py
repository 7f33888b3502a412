"""Signer handler on fakes: document.built → document.signed / document.signing_failed."""

from __future__ import annotations

from functools import partial

import pytest

from sifenflow_common.artifacts import InMemoryArtifactStore
from sifenflow_common.eventstore.memory import InMemoryEventStore
from sifenflow_common.messages.envelope import Envelope
from sifenflow_signer.handlers import on_document_built
from sifenflow_signer.ports import SignerDeps, SigningRefused
from tests.unit.pipeline.fakes import FakeSigner, consumer_of, seed_requested, types_in

pytestmark = pytest.mark.unit


async def deliver(envelope: Envelope, deps: SignerDeps) -> None:
    assert isinstance(deps.store, InMemoryEventStore)
    await consumer_of(deps.store, "signer", {envelope.type: partial(on_document_built, deps=deps)})(envelope)


async def _built(store: InMemoryEventStore, artifacts: InMemoryArtifactStore) -> Envelope:
    from sifenflow_builder.handlers import on_document_requested
    from sifenflow_builder.ports import BuilderDeps
    from tests.unit.pipeline.fakes import FakeEngine, FakeTenants

    requested = await seed_requested(store, artifacts, 5)
    builder = BuilderDeps(store, artifacts, FakeTenants(), FakeEngine())
    await consumer_of(store, "builder", {requested.type: partial(on_document_requested, deps=builder)})(
        requested
    )
    [built] = [e for e in store.take_outbox() if e.type == "document.built"]
    return built


async def test_built_document_is_signed_with_qr() -> None:
    store, artifacts = InMemoryEventStore(), InMemoryArtifactStore()
    built = await _built(store, artifacts)
    signer = FakeSigner()

    await deliver(built, SignerDeps(store, artifacts, signer))

    [signed] = store.take_outbox()
    assert signed.type == "document.signed" and signed.stream_version == 3
    assert signed.payload["qr_url"] == "https://qr?x=1"
    assert signed.payload["sync"] is False  # from document.built
    assert b"<Signature/>" in await artifacts.get(signed.payload["signed_xml_sha256"])
    await deliver(built, SignerDeps(store, artifacts, signer))  # redelivery
    assert built.stream is not None
    assert types_in(store, built.stream).count("document.signed") == 1


async def test_tenant_without_certificate_records_signing_failed() -> None:
    store, artifacts = InMemoryEventStore(), InMemoryArtifactStore()
    built = await _built(store, artifacts)
    refusal = SigningRefused("CERTIFICADO_FALTANTE", "El emisor no tiene certificado cargado")

    await deliver(built, SignerDeps(store, artifacts, FakeSigner(refusal)))

    [failed] = store.take_outbox()
    assert failed.type == "document.signing_failed"
    assert failed.payload["code"] == "CERTIFICADO_FALTANTE"
