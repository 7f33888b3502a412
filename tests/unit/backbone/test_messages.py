"""Message contracts: envelope round trip, stable dotted types, registry parsing (style §4, §10.1)."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from sifenflow_common.messages import Envelope, UnknownMessageType, default_registry, stream_category
from sifenflow_common.messages.commands import ALL_COMMANDS, SignDocument
from sifenflow_common.messages.events import ALL_EVENTS, DocumentBuilt, LoteDocument, LoteSubmissionStarted

pytestmark = pytest.mark.unit

TENANT = uuid.uuid4()
SHA = "ab" * 32


def test_envelope_round_trips_through_json_bytes() -> None:
    built = DocumentBuilt(document_id=uuid.uuid4(), cdc="0" * 44, xml_sha256=SHA)
    env = Envelope.wrap(built, tenant_id=TENANT, producer="builder/0.1.0")
    again = Envelope.from_bytes(env.to_bytes())
    assert again == env
    assert again.kind == "event" and again.type == "document.built" and again.correlation_id == env.message_id
    assert default_registry().parse(again) == built


def test_caused_message_keeps_tenant_and_correlation() -> None:
    root = Envelope.wrap(
        DocumentBuilt(document_id=uuid.uuid4(), cdc="0" * 44, xml_sha256=SHA),
        tenant_id=TENANT,
        producer="b/1",
    )
    child = root.caused(SignDocument(document_id=uuid.uuid4(), cdc="0" * 44, xml_sha256=SHA), producer="s/1")
    assert child.kind == "command" and child.type == "document.sign"
    assert (child.tenant_id, child.correlation_id, child.causation_id) == (
        TENANT,
        root.message_id,
        root.message_id,
    )


def test_wire_types_are_dotted_lower_case_and_unique() -> None:
    types = [m.TYPE for m in (*ALL_COMMANDS, *ALL_EVENTS)]
    assert len(types) == len(set(types))
    for t in types:
        assert t == t.lower() and "." in t and ":" not in t


def test_messages_are_frozen_and_reject_unknown_fields() -> None:
    built = DocumentBuilt(document_id=uuid.uuid4(), cdc="0" * 44, xml_sha256=SHA)
    with pytest.raises(ValidationError):
        built.cdc = "1"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        DocumentBuilt(document_id=uuid.uuid4(), cdc="0" * 44, xml_sha256=SHA, xml="<rDE/>")  # type: ignore[call-arg]


def test_lote_holds_at_most_50_documents() -> None:
    # MT v150: a lote (siRecepLoteDE) carries 1 to 50 documents of one type.
    doc = LoteDocument(document_id=uuid.uuid4(), cdc="0" * 44, signed_xml_sha256=SHA)
    LoteSubmissionStarted(lote_id=uuid.uuid4(), document_type=1, documents=(doc,) * 50, request_sha256=SHA)
    with pytest.raises(ValidationError):
        LoteSubmissionStarted(
            lote_id=uuid.uuid4(), document_type=1, documents=(doc,) * 51, request_sha256=SHA
        )


def test_registry_rejects_unknown_type_and_bad_payload() -> None:
    reg = default_registry()
    env = Envelope.wrap(
        DocumentBuilt(document_id=uuid.uuid4(), cdc="0" * 44, xml_sha256=SHA),
        tenant_id=TENANT,
        producer="b/1",
    )
    with pytest.raises(UnknownMessageType):
        reg.parse(env.model_copy(update={"type": "document.nope"}))
    with pytest.raises(ValidationError):
        reg.parse(env.model_copy(update={"payload": {"document_id": "not-a-uuid"}}))


def test_stream_category_is_text_before_first_dash() -> None:
    assert stream_category(f"document-{uuid.uuid4()}") == "document"
    assert stream_category("lote-1-2") == "lote"
