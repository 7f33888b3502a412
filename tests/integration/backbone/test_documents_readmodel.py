"""Document read model: the lifecycle events move ``document_status``; queries never cross tenants."""

from __future__ import annotations

import uuid

import pytest

from sifenflow_common.eventstore.postgres import PostgresEventStore
from sifenflow_common.eventstore.subscription import Subscription, rebuild
from sifenflow_common.messages import Envelope, Message, document_stream, lote_stream
from sifenflow_common.messages.events import (
    DocumentApproved,
    DocumentBuilt,
    DocumentRejected,
    DocumentRequested,
    DocumentSigned,
    LoteDocument,
    LoteSubmissionStarted,
    LoteSubmitted,
)
from sifenflow_common.readmodel.documents import (
    DocumentsProjection,
    get_by_cdc,
    get_by_id,
    get_many_by_cdc,
    list_documents,
)
from tests.backbone_support import Database, follow

pytestmark = pytest.mark.integration

SHA = "cd" * 32


def cdc_for(n: int) -> str:
    return f"{n:044d}"


async def lifecycle(store: PostgresEventStore, tenant: uuid.UUID, n: int, approve: bool) -> uuid.UUID:
    doc = uuid.uuid4()

    def w(m: Message) -> Envelope:
        return Envelope.wrap(m, tenant_id=tenant, producer="tests/1")

    stream = document_stream(doc)
    await store.append(
        stream,
        0,
        [
            w(DocumentRequested(document_id=doc, document_type=1, establishment="001", expedition_point="001",
                                number=f"{n:07d}", request_sha256=SHA)),
            w(DocumentBuilt(document_id=doc, cdc=cdc_for(n), xml_sha256=SHA)),
            w(DocumentSigned(document_id=doc, cdc=cdc_for(n), signed_xml_sha256=SHA, qr_url="https://x")),
        ],
    )  # fmt: skip
    lote = uuid.uuid4()
    member = LoteDocument(document_id=doc, cdc=cdc_for(n), signed_xml_sha256=SHA)
    started = LoteSubmissionStarted(lote_id=lote, document_type=1, request_sha256=SHA, documents=(member,))
    # MT v150: siRecepLoteDE answers dCodRes 0300 when the lote was received.
    submitted = LoteSubmitted(
        lote_id=lote, sifen_code="0300", sifen_message="Lote recibido con éxito", protocol="9"
    )
    await store.append(lote_stream(lote), 0, [w(started), w(submitted)])
    final: Message = (
        DocumentApproved(
            document_id=doc, cdc=cdc_for(n), sifen_code="0260", sifen_message="Aprobado", lote_id=lote
        )
        if approve
        else DocumentRejected(
            document_id=doc, cdc=cdc_for(n), sifen_code="1001", sifen_message="CDC duplicado"
        )
    )
    await store.append(stream, 3, [w(final)])
    return doc


async def test_lifecycle_reaches_final_status_and_queries_filter_by_tenant(database: Database) -> None:
    store = PostgresEventStore(database.pool)
    tenant_a, tenant_b = uuid.uuid4(), uuid.uuid4()
    approved = await lifecycle(store, tenant_a, 1, approve=True)
    rejected = await lifecycle(store, tenant_a, 2, approve=False)
    other = await lifecycle(store, tenant_b, 3, approve=True)
    sub = Subscription(database.pool, DocumentsProjection())
    await follow(sub, 18)

    doc = await get_by_id(database.pool, tenant_a, approved)
    assert doc is not None
    assert (doc.status, doc.estado, doc.situacion, doc.sifen_code) == ("approved", "Aprobado", 2, "0260")
    assert doc.numero == "001-001-0000001" and doc.cdc == cdc_for(1) and doc.lote_id is not None
    rej = await get_by_cdc(database.pool, tenant_a, cdc_for(2))
    assert rej is not None and rej.document_id == rejected
    assert (rej.status, rej.estado, rej.sifen_code, rej.sifen_message) == (
        "rejected",
        "Rechazado",
        "1001",
        "CDC duplicado",
    )

    # Tenant isolation: B's document does not exist for A, by id, CDC or list.
    assert await get_by_id(database.pool, tenant_a, other) is None
    assert await get_by_cdc(database.pool, tenant_a, cdc_for(3)) is None
    assert [d.cdc for d in await get_many_by_cdc(database.pool, tenant_a, [cdc_for(1), cdc_for(3)])] == [
        cdc_for(1)
    ]
    listed = await list_documents(database.pool, tenant_a)
    assert {d.document_id for d in listed} == {approved, rejected}
    assert [d.document_id for d in await list_documents(database.pool, tenant_b)] == [other]
    assert [d.document_id for d in await list_documents(database.pool, tenant_a, status="rejected")] == [
        rejected
    ]

    before = await database.pool.fetch("SELECT * FROM document_status ORDER BY document_id")
    assert await rebuild(database.pool, DocumentsProjection()) == 18
    assert await database.pool.fetch("SELECT * FROM document_status ORDER BY document_id") == before


async def test_late_lote_event_does_not_undo_a_final_status(database: Database) -> None:
    """The lote's 0300 can land after the document's approval in the global order (different streams)."""
    store = PostgresEventStore(database.pool)
    tenant, doc, lote = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def w(m: Message) -> Envelope:
        return Envelope.wrap(m, tenant_id=tenant, producer="tests/1")

    requested = DocumentRequested(
        document_id=doc, document_type=1, establishment="002", expedition_point="003", number="0000009",
        request_sha256=SHA,
    )  # fmt: skip
    member = LoteDocument(document_id=doc, cdc=cdc_for(9), signed_xml_sha256=SHA)
    await store.append(document_stream(doc), 0, [w(requested)])
    started = LoteSubmissionStarted(lote_id=lote, document_type=1, request_sha256=SHA, documents=(member,))
    await store.append(lote_stream(lote), 0, [w(started)])
    approved = DocumentApproved(document_id=doc, cdc=cdc_for(9), sifen_code="0260", sifen_message="Aprobado")
    await store.append(document_stream(doc), 1, [w(approved)])
    submitted = LoteSubmitted(lote_id=lote, sifen_code="0300", sifen_message="Lote recibido", protocol="1")
    await store.append(lote_stream(lote), 1, [w(submitted)])
    await follow(Subscription(database.pool, DocumentsProjection()), 4)
    row = await get_by_id(database.pool, tenant, doc)
    assert row is not None
    assert (row.status, row.sifen_code, row.lote_id, row.numero) == (
        "approved",
        "0260",
        lote,
        "002-003-0000009",
    )


class _OneByOne:
    """The same projection without ``apply_batch``: the subscription applies event by event."""

    def __init__(self) -> None:
        self._inner = DocumentsProjection()
        self.name, self.categories, self.tables = "documents", self._inner.categories, self._inner.tables
        self.apply = self._inner.apply


async def test_batched_projection_equals_event_by_event(database: Database) -> None:
    """``apply_batch`` (runs of executemany) must leave exactly the rows per-event ``apply`` leaves."""
    store = PostgresEventStore(database.pool)
    tenant = uuid.uuid4()
    for n in range(1, 13):
        await lifecycle(store, tenant, n, approve=n % 3 != 0)
    await follow(Subscription(database.pool, DocumentsProjection(), batch_size=500), 12 * 6)
    batched = await database.pool.fetch("SELECT * FROM document_status ORDER BY document_id")

    await database.pool.execute("TRUNCATE document_status")
    await database.pool.execute("DELETE FROM subscription_checkpoints WHERE name = 'documents'")
    await follow(Subscription(database.pool, _OneByOne(), batch_size=7), 12 * 6)
    one_by_one = await database.pool.fetch("SELECT * FROM document_status ORDER BY document_id")

    assert len(batched) == 12
    assert [r["status"] for r in batched].count("rejected") == 4
    assert batched == one_by_one


async def test_a_run_of_updates_for_interleaved_documents_folds_to_the_event_by_event_rows(
    database: Database,
) -> None:
    """Documents moving in step (built ×10, signed ×10, then approved for some) make one run of the
    same statement with several rows per document: folded into one row each, the result must equal
    the event-by-event one (latest status and version, the signed rDE's sha, the cdc kept)."""
    store = PostgresEventStore(database.pool)
    tenant = uuid.uuid4()
    docs = [uuid.uuid4() for _ in range(10)]

    def w(m: Message) -> Envelope:
        return Envelope.wrap(m, tenant_id=tenant, producer="tests/1")

    for n, doc in enumerate(docs, start=1):
        requested = DocumentRequested(
            document_id=doc,
            document_type=1,
            establishment="001",
            expedition_point="001",
            number=f"{n:07d}",
            request_sha256=SHA,
        )
        await store.append(document_stream(doc), 0, [w(requested)])
    for n, doc in enumerate(docs, start=1):
        await store.append(
            document_stream(doc), 1, [w(DocumentBuilt(document_id=doc, cdc=cdc_for(n), xml_sha256="b" * 64))]
        )
    for n, doc in enumerate(docs, start=1):
        signed = DocumentSigned(
            document_id=doc, cdc=cdc_for(n), signed_xml_sha256="5" * 64, qr_url="https://x"
        )
        await store.append(document_stream(doc), 2, [w(signed)])
    for n, doc in enumerate(docs[:4], start=1):
        approved = DocumentApproved(
            document_id=doc, cdc=cdc_for(n), sifen_code="0260", sifen_message="Aprobado"
        )
        await store.append(document_stream(doc), 3, [w(approved)])
    total = 10 * 3 + 4
    await follow(Subscription(database.pool, DocumentsProjection(), batch_size=500), total)
    batched = await database.pool.fetch("SELECT * FROM document_status ORDER BY number")

    await database.pool.execute("TRUNCATE document_status")
    await database.pool.execute("DELETE FROM subscription_checkpoints WHERE name = 'documents'")
    await follow(Subscription(database.pool, _OneByOne(), batch_size=3), total)
    one_by_one = await database.pool.fetch("SELECT * FROM document_status ORDER BY number")

    assert [r["status"] for r in batched] == ["approved"] * 4 + ["signed"] * 6
    assert {r["xml_sha256"] for r in batched} == {"5" * 64}
    assert [r["cdc"] for r in batched] == [cdc_for(n) for n in range(1, 11)]
    assert batched == one_by_one
