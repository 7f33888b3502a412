"""Builder handler on fakes: document.requested → document.built / document.build_failed."""

from __future__ import annotations

from functools import partial

import pytest

from sifenflow_builder.handlers import on_document_requested
from sifenflow_builder.ports import BuilderDeps
from sifenflow_common.artifacts import InMemoryArtifactStore
from sifenflow_common.eventstore.memory import InMemoryEventStore
from sifenflow_common.messages.envelope import Envelope
from tests.unit.pipeline.fakes import FakeEngine, FakeTenants, cdc_for, consumer_of, seed_requested, types_in

pytestmark = pytest.mark.unit


async def deliver(envelope: Envelope, deps: BuilderDeps) -> None:
    assert isinstance(deps.store, InMemoryEventStore)
    table = {"document.requested": partial(on_document_requested, deps=deps)}
    await consumer_of(deps.store, "builder", table)(envelope)


@pytest.fixture
def deps() -> BuilderDeps:
    return BuilderDeps(InMemoryEventStore(), InMemoryArtifactStore(), FakeTenants(), FakeEngine())


async def test_requested_document_is_built_and_the_event_is_queued(deps: BuilderDeps) -> None:
    store, artifacts = deps.store, deps.artifacts
    assert isinstance(store, InMemoryEventStore) and isinstance(artifacts, InMemoryArtifactStore)
    requested = await seed_requested(store, artifacts, 7)
    store.take_outbox()

    await deliver(requested, deps)

    assert requested.stream is not None
    assert types_in(store, requested.stream) == ["document.requested", "document.built"]
    [queued] = store.take_outbox()
    assert queued.type == "document.built" and queued.stream_version == 2
    assert queued.causation_id == requested.message_id and queued.correlation_id == requested.correlation_id
    assert queued.payload["cdc"] == cdc_for(7)
    assert queued.payload["sync"] is False  # carried on, so the sender need not read the stream
    assert await artifacts.get(queued.payload["xml_sha256"]) == f'<rDE><DE Id="{cdc_for(7)}"/></rDE>'.encode()


async def test_a_sync_request_is_built_with_sync_carried_on(deps: BuilderDeps) -> None:
    store, artifacts = deps.store, deps.artifacts
    assert isinstance(store, InMemoryEventStore) and isinstance(artifacts, InMemoryArtifactStore)
    await deliver(await seed_requested(store, artifacts, 8, sync=True), deps)
    [queued] = [e for e in store.take_outbox() if e.type == "document.built"]
    assert queued.payload["sync"] is True


async def test_invalid_document_records_build_failed_with_field_path(deps: BuilderDeps) -> None:
    store = deps.store
    assert isinstance(store, InMemoryEventStore) and isinstance(deps.artifacts, InMemoryArtifactStore)
    requested = await seed_requested(store, deps.artifacts, 1, data={"fail": True})
    store.take_outbox()

    await deliver(requested, deps)

    [queued] = store.take_outbox()
    assert queued.type == "document.build_failed"
    assert queued.payload["issues"] == [
        {"code": "CAMPO_REQUERIDO", "path": "data.cliente.ruc", "message": "RUC requerido"}
    ]


async def test_unknown_tenant_is_a_build_failure_not_a_crash(deps: BuilderDeps) -> None:
    store = deps.store
    assert isinstance(store, InMemoryEventStore) and isinstance(deps.artifacts, InMemoryArtifactStore)
    requested = await seed_requested(store, deps.artifacts, 1)
    store.take_outbox()
    unknown = BuilderDeps(store, deps.artifacts, FakeTenants(known=set()), deps.engine)

    await deliver(requested, unknown)

    [queued] = store.take_outbox()
    assert queued.type == "document.build_failed"
    assert queued.payload["issues"][0]["code"] == "EMISOR_DESCONOCIDO"


async def test_redelivered_request_is_built_once(deps: BuilderDeps) -> None:
    store = deps.store
    assert isinstance(store, InMemoryEventStore) and isinstance(deps.artifacts, InMemoryArtifactStore)
    requested = await seed_requested(store, deps.artifacts, 3)
    store.take_outbox()

    await deliver(requested, deps)
    await deliver(requested, deps)  # at-least-once delivery: the inbox absorbs it

    assert requested.stream is not None
    assert types_in(store, requested.stream) == ["document.requested", "document.built"]
    assert [e.type for e in store.take_outbox()] == ["document.built"]


async def test_params_frozen_in_the_request_artifact_win_over_the_tenant(deps: BuilderDeps) -> None:
    """The gateway's request artifact (sifenflow.document-request/1) carries params + environment."""
    store, artifacts, engine = deps.store, deps.artifacts, deps.engine
    assert isinstance(store, InMemoryEventStore) and isinstance(artifacts, InMemoryArtifactStore)
    assert isinstance(engine, FakeEngine)
    frozen = {
        "schema": "sifenflow.document-request/1",
        "params": {"ruc": "80069563-1"},
        "environment": "test",
        "data": {"cdc": cdc_for(8), "numero": 8},
    }
    requested = await seed_requested(store, artifacts, 8, data=frozen)
    store.take_outbox()
    no_tenant = BuilderDeps(store, artifacts, FakeTenants(known=set()), engine)

    await deliver(requested, no_tenant)

    [queued] = store.take_outbox()
    assert queued.type == "document.built" and queued.payload["cdc"] == cdc_for(8)
    assert engine.built == [{"cdc": cdc_for(8), "numero": 8}]
