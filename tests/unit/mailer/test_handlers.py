"""mailer handlers on hand-written fakes (in-memory store and artifacts, scripted SMTP transport,
fake settings and KuDE source): who gets the email, what is recorded in the document's history,
and which failures are retried (RFC 5321 §4.2.1: 4yz transient, 5yz permanent)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from email.message import EmailMessage
from typing import ClassVar

import pytest

from sifenflow_common.artifacts import InMemoryArtifactStore
from sifenflow_common.bus.ports import delivering
from sifenflow_common.eventstore.memory import InMemoryEventStore
from sifenflow_common.messages.envelope import Envelope, Event, document_stream
from sifenflow_common.messages.events import DocumentApproved, DocumentRequested, DocumentSigned, KudeEmailed
from sifenflow_common.messages.mail import KudeEmailFailed, KudeEmailRequested
from sifenflow_common.messages.registry import MessageRegistry, default_registry
from sifenflow_common.runtime.consumer import Consumer
from sifenflow_common.sifen.xml_read import read_rde
from sifenflow_common.tenants.mail import MailSettings, SmtpConfig
from sifenflow_mailer.handlers import MailDeferred, MailerDeps, deliver, handler_table
from sifenflow_mailer.smtp import DeliveryResult, SmtpDeliveryError

from .documents import mail_document

pytestmark = pytest.mark.unit
TENANT = uuid.uuid4()
SMTP = SmtpConfig(
    host="smtp.empresa.com.py", port=587, security="starttls", from_address="facturas@empresa.com.py"
)


class FakeSettings:
    def __init__(self, smtp: SmtpConfig | None = SMTP) -> None:
        self.smtp = smtp

    async def mail_settings(self, tenant_id: uuid.UUID) -> MailSettings | None:
        return MailSettings(tenant_id=tenant_id, environment="simulado", smtp=self.smtp, kude_eager=False)


class FakeKude:
    def __init__(self, pdf: bytes) -> None:
        self.pdf_bytes = pdf
        self.calls: list[tuple[uuid.UUID, str | None]] = []

    async def pdf(
        self, tenant_id: uuid.UUID, document_id: uuid.UUID, signed_xml: bytes, *, environment: str | None
    ) -> bytes:
        self.calls.append((document_id, environment))
        return self.pdf_bytes


class ScriptedTransport:
    """Answers with the scripted errors first, then accepts every recipient."""

    def __init__(self, errors: Sequence[SmtpDeliveryError] = ()) -> None:
        self.errors = list(errors)
        self.sent: list[tuple[EmailMessage, tuple[str, ...]]] = []

    async def send(
        self, message: EmailMessage, smtp: SmtpConfig, recipients: Sequence[str]
    ) -> DeliveryResult:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((message, tuple(recipients)))
        return DeliveryResult(accepted=tuple(recipients), refused={}, response="250 OK")


class Setup:
    def __init__(
        self,
        *,
        email: str | None = "compras@cliente.com.py",
        request_email: str | None = "compras@cliente.com.py, contador@cliente.com.py",
        smtp: SmtpConfig | None = SMTP,
        errors: Sequence[SmtpDeliveryError] = (),
        registry: MessageRegistry | None = None,
    ) -> None:
        self.document = mail_document(email)
        self.view = read_rde(self.document.xml)
        self.store = InMemoryEventStore()
        self.artifacts = InMemoryArtifactStore()
        self.registry = registry or default_registry()
        self.transport = ScriptedTransport(errors)
        self.kude = FakeKude(self.document.pdf)
        self.deps = MailerDeps(
            store=self.store,
            artifacts=self.artifacts,
            registry=self.registry,
            settings=FakeSettings(smtp),
            kude=self.kude,
            transport=self.transport,
        )
        self.consumer = Consumer(
            self.store,
            handler_table(self.deps),
            consumer="mailer",
            producer="mailer/test",
            registry=self.registry,
        )
        self.document_id = uuid.uuid4()
        self.stream = document_stream(self.document_id)
        self.request_email = request_email

    async def approved(self) -> Envelope:
        cliente = {"razonSocial": "Cliente"} | ({"email": self.request_email} if self.request_email else {})
        request = json.dumps({"params": {}, "environment": "simulado", "data": {"cliente": cliente}}).encode()
        request_sha = await self.artifacts.put(request, "application/json")
        xml_sha = await self.artifacts.put(self.document.xml, "application/xml")
        cdc = self.view.cdc
        events: list[Event] = [
            DocumentRequested(
                document_id=self.document_id,
                document_type=1,
                establishment="001",
                expedition_point="001",
                number="0000001",
                request_sha256=request_sha,
            ),
            DocumentSigned(document_id=self.document_id, cdc=cdc, signed_xml_sha256=xml_sha, qr_url="q"),
            DocumentApproved(
                document_id=self.document_id, cdc=cdc, sifen_code="0260", sifen_message="Aprobado"
            ),
        ]
        envelopes = [Envelope.wrap(e, tenant_id=TENANT, producer="tests/1") for e in events]
        await self.store.append(self.stream, 0, envelopes, publish=False)
        return envelopes[-1].at(self.stream, len(envelopes))

    async def append(self, event: Event) -> Envelope:
        version = await self.store.stream_version(self.stream)
        envelope = Envelope.wrap(event, tenant_id=TENANT, producer="tests/1")
        await self.store.append(self.stream, version, [envelope], publish=False)
        return envelope.at(self.stream, version + 1)

    async def history(self) -> list[str]:
        return [r.envelope.type for r in await self.store.read_stream(self.stream)]

    async def last(self, model: type[Event]) -> Event:
        recorded = [r for r in await self.store.read_stream(self.stream) if r.envelope.type == model.TYPE]
        return self.registry.parse_as(recorded[-1].envelope, model)


async def test_approval_emails_every_address_of_the_request_with_kude_and_xml() -> None:
    # FacturaSend §3.3: cliente.email may list several addresses; only the first reaches dEmailRec (D216)
    setup = Setup()
    assert setup.view.gDatRec.dEmailRec == "compras@cliente.com.py"
    await setup.consumer(await setup.approved())
    [(message, recipients)] = setup.transport.sent
    assert recipients == ("compras@cliente.com.py", "contador@cliente.com.py")
    names = [part.get_filename() for part in message.iter_attachments()]
    assert names == [f"{setup.view.cdc}.pdf", f"{setup.view.cdc}.xml"]
    xml_part = next(p for p in message.iter_attachments() if p.get_filename().endswith(".xml"))
    assert xml_part.get_content() == setup.document.xml
    assert message["From"].addresses[0].addr_spec == "facturas@empresa.com.py"
    assert setup.kude.calls == [(setup.document_id, "simulado")]  # legend of the tenant's environment
    emailed = await setup.last(KudeEmailed)
    assert isinstance(emailed, KudeEmailed)
    assert emailed.to == recipients
    assert [e.type for e in setup.store.outbox] == [KudeEmailed.TYPE]


async def test_a_redelivered_approval_sends_nothing_more() -> None:
    setup = Setup()
    approved = await setup.approved()
    await setup.consumer(approved)
    await setup.consumer(approved)
    assert len(setup.transport.sent) == 1
    assert (await setup.history()).count(KudeEmailed.TYPE) == 1


async def test_receptor_without_email_gets_nothing_and_no_pdf_is_rendered() -> None:
    setup = Setup(email=None, request_email=None)
    await setup.consumer(await setup.approved())
    assert setup.transport.sent == []
    assert setup.kude.calls == []
    assert await setup.history() == [DocumentRequested.TYPE, DocumentSigned.TYPE, DocumentApproved.TYPE]


async def test_request_without_list_falls_back_to_dEmailRec() -> None:
    setup = Setup(request_email=None)
    await setup.consumer(await setup.approved())
    assert [r for _, r in setup.transport.sent] == [("compras@cliente.com.py",)]


async def test_tenant_without_smtp_sends_nothing_on_approval() -> None:
    setup = Setup(smtp=None)
    await setup.consumer(await setup.approved())
    assert setup.transport.sent == []
    assert KudeEmailFailed.TYPE not in await setup.history()


async def test_permanent_smtp_failure_is_recorded_in_the_history() -> None:
    refused = SmtpDeliveryError(
        "SMTP_DESTINATARIOS_RECHAZADOS", "550 5.1.1 Buzón inexistente", transient=False, smtp_code=550
    )
    setup = Setup(errors=[refused])
    await setup.consumer(await setup.approved())
    failed = await setup.last(KudeEmailFailed)
    assert isinstance(failed, KudeEmailFailed)
    assert (failed.code, failed.smtp_code) == ("SMTP_DESTINATARIOS_RECHAZADOS", 550)
    assert failed.to == ("compras@cliente.com.py", "contador@cliente.com.py")
    assert KudeEmailed.TYPE not in await setup.history()


async def test_transient_smtp_failure_raises_for_the_bus_retry_then_delivers() -> None:
    deferred = SmtpDeliveryError(
        "SMTP_RESPUESTA_TEMPORAL", "451 4.3.0 Intente luego", transient=True, smtp_code=451
    )
    setup = Setup(errors=[deferred, deferred])
    approved = await setup.approved()
    for _ in range(2):
        with pytest.raises(MailDeferred):
            await setup.consumer(approved)
        assert KudeEmailed.TYPE not in await setup.history()  # nothing committed, inbox not claimed
    await setup.consumer(approved)
    assert len(setup.transport.sent) == 1
    assert (await setup.history()).count(KudeEmailed.TYPE) == 1


async def test_transient_failure_on_the_last_attempt_is_recorded_not_parked() -> None:
    deferred = SmtpDeliveryError(
        "SMTP_RESPUESTA_TEMPORAL", "451 4.3.0 Intente luego", transient=True, smtp_code=451
    )
    setup = Setup(errors=[deferred] * 3)
    approved = await setup.approved()
    for number in (1, 2):  # the bus will retry: raise, record nothing
        with delivering(number, 3), pytest.raises(MailDeferred):
            await setup.consumer(approved)
        assert KudeEmailFailed.TYPE not in await setup.history()
    with delivering(3, 3):  # the last one: the handler records the failure and returns
        await setup.consumer(approved)
    failed = await setup.last(KudeEmailFailed)
    assert isinstance(failed, KudeEmailFailed)
    assert (failed.code, failed.smtp_code, failed.attempts) == ("SMTP_RESPUESTA_TEMPORAL", 451, 3)
    assert failed.message.startswith("Se agotaron los reintentos (3 intentos): 451")
    assert failed.to == ("compras@cliente.com.py", "contador@cliente.com.py")
    assert KudeEmailed.TYPE not in await setup.history()


async def test_a_rerun_of_the_same_message_does_not_send_twice() -> None:
    # a ConcurrencyError makes the consumer run the handler again: the email is not sent again
    setup = Setup()
    approved = await setup.approved()
    first = await deliver(
        approved, setup.deps, document_id=setup.document_id, cdc=setup.view.cdc, reason="aprobado"
    )
    await setup.append(
        DocumentApproved(
            document_id=setup.document_id, cdc=setup.view.cdc, sifen_code="0260", sifen_message="x"
        )
    )
    again = await deliver(
        approved, setup.deps, document_id=setup.document_id, cdc=setup.view.cdc, reason="aprobado"
    )
    assert len(setup.transport.sent) == 1
    assert first.appends[0].events == again.appends[0].events
    assert again.appends[0].expected_version == first.appends[0].expected_version + 1


async def test_resend_request_goes_to_the_given_addresses() -> None:
    setup = Setup()
    await setup.approved()
    request = await setup.append(
        KudeEmailRequested(document_id=setup.document_id, cdc=setup.view.cdc, to=("otro@estudio.com.py",))
    )
    await setup.consumer(request)
    [(message, recipients)] = setup.transport.sent
    assert recipients == ("otro@estudio.com.py",)
    assert message["To"] == "otro@estudio.com.py"


async def test_resend_request_without_smtp_records_why() -> None:
    setup = Setup(smtp=None)
    await setup.approved()
    await setup.consumer(
        await setup.append(KudeEmailRequested(document_id=setup.document_id, cdc=setup.view.cdc))
    )
    failed = await setup.last(KudeEmailFailed)
    assert isinstance(failed, KudeEmailFailed)
    assert failed.code == "SMTP_NO_CONFIGURADO"


async def test_resend_to_an_invalid_address_records_the_failure() -> None:
    setup = Setup()
    await setup.approved()
    await setup.consumer(
        await setup.append(
            KudeEmailRequested(document_id=setup.document_id, cdc=setup.view.cdc, to=("no-es-correo",))
        )
    )
    failed = await setup.last(KudeEmailFailed)
    assert isinstance(failed, KudeEmailFailed)
    assert failed.code == "MAIL_DESTINATARIO_INVALIDO"
    assert setup.transport.sent == []


class DocumentCancelled(Event):  # the shape the lifecycle area publishes
    TYPE: ClassVar[str] = "document.cancelled"
    document_id: uuid.UUID
    cdc: str
    event_id: uuid.UUID
    reason: str


async def test_cancellation_is_emailed_when_the_event_type_exists() -> None:
    assert (
        "document.cancelled" not in handler_table(Setup().deps)
        or "document.cancelled" in default_registry().types()
    )
    registry = default_registry()
    if "document.cancelled" not in registry.types():
        registry.register(DocumentCancelled)
    setup = Setup(registry=registry)
    assert "document.cancelled" in handler_table(setup.deps)
    await setup.approved()
    model = registry.model_for("document.cancelled")
    cancelled = model.model_validate(
        {
            "document_id": setup.document_id,
            "cdc": setup.view.cdc,
            "event_id": uuid.uuid4(),
            "reason": "Error en el monto",
        }
    )
    await setup.consumer(await setup.append(cancelled))
    [(message, _)] = setup.transport.sent
    assert message["Subject"].startswith("Cancelación: ")


def _expiring(days_left: int) -> Envelope:
    from datetime import UTC, date, datetime, timedelta

    from sifenflow_common.messages.lifecycle import CertificateExpiring

    not_after = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    event = CertificateExpiring(
        not_after=not_after, days_left=days_left, threshold=days_left,
        checked_on=(not_after - timedelta(days=days_left)).date() if days_left else date(2026, 12, 1),
    )  # fmt: skip
    return Envelope.wrap(event, tenant_id=TENANT, producer="notifier/test").at(f"tenant-{TENANT}", 1)


async def test_certificate_expiring_emails_the_company_mailbox() -> None:
    # issue 8 item 5: certificate.expiring at 30/7/1 days → webhook (notifier) and email to the tenant.
    s = Setup()
    await s.consumer(_expiring(7))
    assert len(s.transport.sent) == 1
    message, recipients = s.transport.sent[0]
    assert recipients == ("facturas@empresa.com.py",)
    assert message["Subject"] == "Su certificado de firma digital vence en 7 días"
    body = message.get_body(("plain",))
    assert body is not None and "01/12/2026" in body.get_content()


async def test_certificate_expiring_without_smtp_sends_nothing_and_transient_failure_retries() -> None:
    quiet = Setup(smtp=None)
    await quiet.consumer(_expiring(1))
    assert quiet.transport.sent == []

    flaky = Setup(errors=[SmtpDeliveryError("SMTP_TEMPORAL", "451 ocupado", transient=True, smtp_code=451)])
    envelope = _expiring(30)
    with pytest.raises(MailDeferred):
        await flaky.consumer(envelope)
    await flaky.consumer(envelope)  # the bus redelivers the same message after its delay
    assert [m["Subject"] for m, _ in flaky.transport.sent] == [
        "Su certificado de firma digital vence en 30 días"
    ]


async def test_every_outcome_is_counted_for_the_metrics() -> None:
    deferred = SmtpDeliveryError(
        "SMTP_RESPUESTA_TEMPORAL", "451 4.3.0 Intente luego", transient=True, smtp_code=451
    )
    refused = SmtpDeliveryError("SMTP_RECHAZADO", "554 5.7.1 No", transient=False, smtp_code=554)
    outcomes: list[str] = []
    setup = Setup(errors=[deferred])
    setup.deps.count = outcomes.append
    approved = await setup.approved()
    with pytest.raises(MailDeferred):
        await setup.consumer(approved)
    await setup.consumer(approved)
    assert outcomes == ["retry", "sent"]

    for errors, smtp, expected in (([refused], SMTP, "failed"), ([], None, "skipped")):
        other = Setup(errors=errors, smtp=smtp)
        other.deps.count = outcomes.append
        await other.consumer(await other.approved())
        assert outcomes[-1] == expected
