"""Hand-written fakes of the pipeline's ports (style §9: no MagicMock of our own ports)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from sifenflow_builder.ports import BuildContext, BuiltXml
from sifenflow_common.artifacts import MEDIA_JSON, InMemoryArtifactStore
from sifenflow_common.errors import DocumentInvalid, ValidationIssue
from sifenflow_common.eventstore.memory import InMemoryEventStore
from sifenflow_common.messages.envelope import Envelope, document_stream
from sifenflow_common.messages.events import DocumentBuilt, DocumentRequested, DocumentSigned
from sifenflow_common.messages.registry import default_registry
from sifenflow_common.runtime.consumer import Consumer
from sifenflow_sender.ports import (
    DeLookup,
    DeOutcome,
    Exchange,
    LotePoll,
    LoteReceipt,
    SifenRefused,
    SifenUnavailable,
    SyncReply,
)
from sifenflow_signer.ports import SignedXml, SigningRefused

TENANT = UUID("11111111-1111-4111-8111-111111111111")


def cdc_for(n: int, tipo: int = 1) -> str:
    return f"{tipo:02d}80069563100100100{n:07d}22025010112345678{n % 10}"[:44].ljust(44, "0")


class FakeTenants:
    def __init__(self, known: set[UUID] | None = None) -> None:
        self.known = known if known is not None else {TENANT}

    async def context(self, tenant_id: UUID) -> BuildContext:
        if tenant_id not in self.known:
            raise LookupError(tenant_id)
        return BuildContext(params={"ruc": "80069563-1"}, environment="simulado")


class FakeEngine:
    """Builds a tiny rDE-like document; ``data["fail"]`` makes it report a field issue."""

    def __init__(self) -> None:
        self.built: list[dict[str, Any]] = []

    def build(self, params: dict[str, Any], data: dict[str, Any], *, environment: str) -> BuiltXml:
        if data.get("fail"):
            raise DocumentInvalid([ValidationIssue("CAMPO_REQUERIDO", "data.cliente.ruc", "RUC requerido")])
        self.built.append(data)
        cdc = str(data["cdc"])
        return BuiltXml(cdc=cdc, xml=f'<rDE><DE Id="{cdc}"/></rDE>'.encode())


class FakeSigner:
    def __init__(self, refuse: SigningRefused | None = None) -> None:
        self.refuse = refuse
        self.calls = 0

    async def sign(self, tenant_id: UUID, unsigned_xml: bytes) -> SignedXml:
        self.calls += 1
        if self.refuse is not None:
            raise self.refuse
        return SignedXml(xml=unsigned_xml.replace(b"/>", b"><Signature/></DE>", 1), qr_url="https://qr?x=1")


class FakeClock:
    def __init__(self) -> None:
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(0)


class FakeSifen:
    """SIFEN as a script: each call pops the next planned answer (or a default) and is recorded."""

    def __init__(self) -> None:
        self.sent_de: list[bytes] = []
        self.sent_lotes: list[list[bytes]] = []
        self.polls: list[str] = []
        self.lookups: list[str] = []
        self.de_answers: list[SyncReply | Exception] = []
        self.lote_answers: list[LoteReceipt | Exception] = []
        self.poll_answers: list[LotePoll | Exception] = []
        self.approved: dict[str, str] = {}  # cdc -> dProtAut, what consulta DE finds
        self.rejected: dict[str, tuple[str, str]] = {}  # cdc -> (code, message) in lote results
        self._lotes: dict[str, list[str]] = {}

    async def send_de(self, tenant_id: UUID, signed_xml: bytes) -> SyncReply:
        self.sent_de.append(signed_xml)
        if self.de_answers:
            answer = self.de_answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        cdc = _cdc_of(signed_xml)
        self.approved[cdc] = "1234567890"
        outcome = DeOutcome(cdc, "Aprobado", "0260", "Autorización del DE satisfactoria", "1234567890")
        return SyncReply(outcome, Exchange(b"<rEnviDe/>", b"<rRetEnviDe/>"))

    async def send_lote(self, tenant_id: UUID, signed_xmls: Sequence[bytes]) -> LoteReceipt:
        self.sent_lotes.append(list(signed_xmls))
        if self.lote_answers:
            answer = self.lote_answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        protocol = str(len(self._lotes) + 1)
        self._lotes[protocol] = [_cdc_of(x) for x in signed_xmls]
        return LoteReceipt(
            "0300", "Lote recibido con éxito", protocol, 1, Exchange(b"<r/>", b"<rResEnviLoteDe/>")
        )

    async def poll_lote(self, tenant_id: UUID, protocol: str) -> LotePoll:
        self.polls.append(protocol)
        if self.poll_answers:
            answer = self.poll_answers.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return answer
        results = []
        for cdc in self._lotes.get(protocol, []):
            if cdc in self.rejected:
                code, message = self.rejected[cdc]
                results.append(DeOutcome(cdc, "Rechazado", code, message))
            else:
                self.approved[cdc] = "999"
                results.append(DeOutcome(cdc, "Aprobado", "0260", "Autorización del DE satisfactoria", "999"))
        return LotePoll("0362", "Lote procesado", tuple(results), Exchange(b"<q/>", b"<rResEnviConsLoteDe/>"))

    async def lookup_de(self, tenant_id: UUID, cdc: str) -> DeLookup:
        self.lookups.append(cdc)
        if cdc in self.approved:
            return DeLookup(cdc, True, "0422", "CDC encontrado", self.approved[cdc], Exchange())
        return DeLookup(cdc, False, "0420", "CDC inexistente", None, Exchange())


def _cdc_of(xml: bytes) -> str:
    start = xml.index(b'Id="') + 4
    return xml[start : start + 44].decode()


def unavailable() -> SifenUnavailable:
    return SifenUnavailable("timeout")


def refused(code: str, message: str) -> SifenRefused:
    return SifenRefused(code, message)


async def seed_requested(
    store: InMemoryEventStore,
    artifacts: InMemoryArtifactStore,
    n: int,
    *,
    tipo: int = 1,
    sync: bool = False,
    data: dict[str, Any] | None = None,
) -> Envelope:
    """Append document.requested like the gateway does; returns the stored envelope."""
    document_id = uuid4()
    body = dict(data or {}, cdc=cdc_for(n, tipo))
    sha = await artifacts.put(json.dumps(body).encode(), MEDIA_JSON)
    requested = DocumentRequested(
        document_id=document_id, document_type=tipo, establishment="001", expedition_point="001",
        number=f"{n:07d}", request_sha256=sha, sync=sync,
    )  # fmt: skip
    env = Envelope.wrap(requested, tenant_id=TENANT, producer="gateway/test")
    [stored] = await store.append(document_stream(document_id), 0, [env])
    return stored


async def seed_signed(
    store: InMemoryEventStore,
    artifacts: InMemoryArtifactStore,
    n: int,
    *,
    tipo: int = 1,
    sync: bool = False,
    legacy: bool = False,
) -> Envelope:
    """A document stream at ``document.signed`` (v3); returns the signed envelope as delivered.
    ``legacy``: events recorded before built/signed carried ``sync``."""
    requested = await seed_requested(store, artifacts, n, tipo=tipo, sync=sync)
    payload = DocumentRequested.model_validate(requested.payload)
    cdc = cdc_for(n, tipo)
    xml = f'<rDE><DE Id="{cdc}"><Signature/></DE></rDE>'.encode()
    unsigned_sha = await artifacts.put(xml.replace(b"<Signature/>", b""), "application/xml")
    sha = await artifacts.put(xml, "application/xml")
    built = requested.caused(
        DocumentBuilt(
            document_id=payload.document_id, cdc=cdc, xml_sha256=unsigned_sha, sync=None if legacy else sync
        ),
        producer="t",
    )
    signed = requested.caused(
        DocumentSigned(
            document_id=payload.document_id,
            cdc=cdc,
            signed_xml_sha256=sha,
            qr_url="https://qr",
            sync=None if legacy else sync,
        ),
        producer="t",
    )
    stored = await store.append(document_stream(payload.document_id), 1, [built, signed])
    store.take_outbox()
    return stored[-1]


def types_in(store: InMemoryEventStore, stream: str) -> list[str]:
    return [r.envelope.type for r in store.streams.get(stream, [])]


def consumer_of(store: InMemoryEventStore, name: str, table: dict[str, Any]) -> Consumer:
    """The runtime's consumer (inbox claim + appends + outbox, group commit) around a handler table."""
    return Consumer(store, table, consumer=name, producer=f"{name}/test", registry=default_registry())
