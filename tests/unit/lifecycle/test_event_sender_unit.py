"""Sender handler for events (MT v150 §11, siRecepEvento) on hand-written fakes: 0600 becomes
event.accepted (+ document.cancelled), a SIFEN refusal event.rejected, and a duplicate answer
(4003) to a resend of our own registered event is reconciled by siConsDE into event.accepted."""

from __future__ import annotations

import uuid

import pytest

from sifenflow_common.artifacts import MEDIA_XML, InMemoryArtifactStore
from sifenflow_common.eventstore.memory import InMemoryEventStore
from sifenflow_common.messages.envelope import Envelope
from sifenflow_common.messages.lifecycle import (
    DocumentCancelled,
    RangeVoided,
    SifenEventAccepted,
    SifenEventRejected,
    SifenEventSigned,
)
from sifenflow_sender.events import EventSenderDeps, on_sifen_event_signed
from sifenflow_sender.ports import EventReply, Exchange

pytestmark = pytest.mark.unit
CDC = "01800695631001001000000112022010112345678901"


class FakeEventPort:
    def __init__(self, reply: EventReply, registered: dict[int, str] | None = None) -> None:
        self.reply = reply
        self.registered = registered or {}
        self.sent: list[bytes] = []
        self.lookups: list[tuple[str, int]] = []

    async def send_event(self, tenant_id: uuid.UUID, ges_eve_xml: bytes) -> EventReply:
        self.sent.append(ges_eve_xml)
        return self.reply

    async def registered_event(self, tenant_id: uuid.UUID, cdc: str, sifen_id: int) -> str | None:
        self.lookups.append((cdc, sifen_id))
        return self.registered.get(sifen_id)


def reply(accepted: bool, code: str, protocol: str | None = None) -> EventReply:
    status = "Aprobado" if accepted else "Rechazado"
    return EventReply(accepted, status, code, "mensaje", protocol, None, Exchange(b"<req/>", b"<res/>"))


async def run(kind: str, port: FakeEventPort, fields: dict[str, object], cdc: str = CDC) -> list[object]:
    artifacts = InMemoryArtifactStore()
    sha = await artifacts.put(b"<rGesEve/>", MEDIA_XML)
    document_id = uuid.uuid4()
    signed = SifenEventSigned(
        event_id=uuid.uuid4(), sifen_id=42, kind=kind, document_id=document_id, cdc=cdc, fields=fields,
        signed_sha256=sha,
    )  # fmt: skip
    env = Envelope.wrap(signed, tenant_id=uuid.uuid4(), producer="t").at(f"document-{document_id}", 3)
    effects = await on_sifen_event_signed(env, signed, EventSenderDeps(InMemoryEventStore(), artifacts, port))
    [append] = effects.appends
    assert append.stream == f"document-{document_id}"
    return list(append.events)


async def test_registered_cancelacion_cancels_the_document() -> None:
    port = FakeEventPort(reply(True, "0600", "777"))
    accepted, cancelled = await run("cancelacion", port, {"cdc": CDC, "motivo": "Error de carga"})
    assert isinstance(accepted, SifenEventAccepted) and accepted.protocol == "777"
    assert isinstance(cancelled, DocumentCancelled) and cancelled.reason == "Error de carga"
    assert port.lookups == []


async def test_refused_event_is_recorded_with_sifen_code() -> None:
    [rejected] = await run("cancelacion", FakeEventPort(reply(False, "4009")), {"cdc": CDC, "motivo": "x"})
    assert isinstance(rejected, SifenEventRejected) and rejected.sifen_code == "4009" and rejected.sent


async def test_duplicate_answer_to_our_own_registered_event_is_accepted() -> None:
    port = FakeEventPort(reply(False, "4003"), registered={42: "555"})
    accepted, cancelled = await run("cancelacion", port, {"cdc": CDC, "motivo": "Error de carga"})
    assert port.lookups == [(CDC, 42)]
    assert isinstance(accepted, SifenEventAccepted) and accepted.protocol == "555"
    assert isinstance(cancelled, DocumentCancelled)


async def test_duplicate_of_someone_elses_event_stays_rejected() -> None:
    port = FakeEventPort(reply(False, "4003"), registered={41: "555"})
    [rejected] = await run("cancelacion", port, {"cdc": CDC, "motivo": "Error de carga"})
    assert isinstance(rejected, SifenEventRejected) and rejected.sifen_code == "4003"


async def test_accepted_inutilizacion_voids_the_range() -> None:
    fields: dict[str, object] = {
        "timbrado": "12558946", "establecimiento": "001", "punto": "001", "tipoDocumento": 1,
        "desde": 10, "hasta": 20, "motivo": "Hueco",
    }  # fmt: skip
    _, voided = await run("inutilizacion", FakeEventPort(reply(True, "0600", "1")), fields)
    assert isinstance(voided, RangeVoided) and (voided.first, voided.last, voided.document_type) == (
        10,
        20,
        1,
    )


async def test_recibo_cancelacion_is_recorded_without_calling_sifen() -> None:
    """facturasend-api §2.4: a recibo digital (CDC 55…) never goes to SIFEN, nor does its cancelación."""
    recibo = "55" + CDC[2:]
    port = FakeEventPort(reply(False, "4002"))
    accepted, cancelled = await run(
        "cancelacion", port, {"cdc": recibo, "motivo": "Recibo duplicado"}, recibo
    )
    assert port.sent == [] and port.lookups == []
    assert isinstance(accepted, SifenEventAccepted) and accepted.cdc == recibo and accepted.protocol is None
    assert "no se envía a SIFEN" in accepted.sifen_message
    assert isinstance(cancelled, DocumentCancelled) and cancelled.reason == "Recibo duplicado"
