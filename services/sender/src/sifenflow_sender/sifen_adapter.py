"""``SifenPort`` over the SOAP client: one ``SifenClient`` per tenant (its base URL, its certificate
for mutual TLS), sharing one aiohttp session. Maps client results and errors onto the sender's
terms: a transport error or a "server unavailable" code (0161/0162) is an unknown outcome
(``SifenUnavailable``); any other refusal is ``SifenRefused`` with SIFEN's code and message."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import aiohttp
from lxml import etree

from sifenflow_common.sifen_client import (
    SifenCall,
    SifenClient,
    SifenClientConfig,
    SifenError,
    SifenObserver,
    SifenRejection,
    TlsContextCache,
    client_certificate_from_pkcs12,
)
from sifenflow_common.tenants.model import Environment
from sifenflow_common.tenants.repository import TenantRepository
from sifenflow_sender.ports import (
    DeLookup,
    DeOutcome,
    EventReply,
    Exchange,
    LotePoll,
    LoteReceipt,
    SifenRefused,
    SifenUnavailable,
    SyncReply,
)

T = TypeVar("T")
UNAVAILABLE_CODES = frozenset({"0004", "0124", "0161", "0162"})
_CLIENT_TTL_S = 60.0


@dataclass
class _Entry:
    client: SifenClient
    expires: float


class ClientSifenPort:
    def __init__(
        self,
        tenants: TenantRepository,
        session: aiohttp.ClientSession,
        observer: SifenObserver | None = None,
        *,
        read_timeout_s: float = 45.0,
        total_timeout_s: float = 90.0,
    ) -> None:
        self._observer = observer
        self._tenants = tenants
        self._session = session
        self._read_timeout_s = read_timeout_s
        self._total_timeout_s = total_timeout_s
        self._tls = TlsContextCache()
        self._clients: dict[UUID, _Entry] = {}
        self._lock = asyncio.Lock()

    async def _client(self, tenant_id: UUID) -> SifenClient:
        entry = self._clients.get(tenant_id)
        if entry is not None and entry.expires > time.monotonic():
            return entry.client
        async with self._lock:
            tenant = await self._tenants.get(tenant_id)
            if tenant is None:
                raise SifenRefused("EMISOR_DESCONOCIDO", "El emisor no existe")
            ssl_context = None
            if tenant.sifen_base_url.startswith("https"):
                secrets = await self._tenants.load_secrets(tenant_id)
                if secrets.certificate_p12 is None:
                    raise SifenRefused("CERTIFICADO_FALTANTE", "El emisor no tiene certificado cargado")
                cert = client_certificate_from_pkcs12(secrets.certificate_p12, secrets.certificate_password)
                ssl_context = await asyncio.to_thread(self._tls.get, str(tenant_id), cert)
            config = SifenClientConfig(
                base_url=tenant.sifen_base_url,
                read_timeout=self._read_timeout_s,
                total_timeout=self._total_timeout_s,
                requester_ruc=tenant.ruc if tenant.environment is Environment.SIMULADO else None,
            )
            client = SifenClient(
                config, ssl_context=ssl_context, session=self._session, observer=self._observer
            )
            self._clients[tenant_id] = _Entry(client, time.monotonic() + _CLIENT_TTL_S)
            return client

    async def _call(self, tenant_id: UUID, operation: Any) -> Any:
        client = await self._client(tenant_id)
        try:
            return await operation(client)
        except SifenRejection as exc:
            exchange = Exchange(exc.request_xml, exc.response_body)
            if exc.code in UNAVAILABLE_CODES or (exc.code is None and exc.retryable):
                raise SifenUnavailable(str(exc), exchange) from exc
            raise SifenRefused(exc.code or "SIN_CODIGO", exc.sifen_message, exchange) from exc
        except SifenError as exc:  # transport: no usable answer
            raise SifenUnavailable(str(exc), Exchange(exc.request_xml, exc.response_body)) from exc

    async def send_de(self, tenant_id: UUID, signed_xml: bytes) -> SyncReply:
        call: SifenCall[Any] = await self._call(tenant_id, lambda c: c.recepcion_de(signed_xml))
        result = call.result
        first = result.messages[0] if result.messages else None
        outcome = DeOutcome(
            cdc=result.cdc or "",
            status=result.status or "Rechazado",
            code=first.code if first else "",
            message=first.message if first else "",
            protocol=str(result.protocol) if result.protocol is not None else None,
        )
        return SyncReply(outcome, _exchange(call))

    async def send_lote(self, tenant_id: UUID, signed_xmls: Sequence[bytes]) -> LoteReceipt:
        call: SifenCall[Any] = await self._call(tenant_id, lambda c: c.recepcion_lote(list(signed_xmls)))
        result = call.result
        if not result.accepted or result.lote_number is None:
            raise SifenRefused(result.code or "SIN_CODIGO", result.message or "", _exchange(call))
        return LoteReceipt(
            result.code,
            result.message or "",
            str(result.lote_number),
            result.avg_processing_seconds,
            _exchange(call),
        )

    async def poll_lote(self, tenant_id: UUID, protocol: str) -> LotePoll:
        call: SifenCall[Any] = await self._call(tenant_id, lambda c: c.consulta_lote(int(protocol)))
        result = call.result
        outcomes = []
        for de in result.results:
            first = de.messages[0] if de.messages else None
            outcomes.append(
                DeOutcome(
                    cdc=de.cdc,
                    status=de.status,
                    code=first.code if first else "",
                    message=first.message if first else "",
                    protocol=str(de.protocol) if de.protocol is not None else None,
                )
            )
        return LotePoll(result.code, result.message, tuple(outcomes), _exchange(call))

    async def lookup_de(self, tenant_id: UUID, cdc: str) -> DeLookup:
        call: SifenCall[Any] = await self._call(tenant_id, lambda c: c.consulta_de(cdc))
        result = call.result
        protocol = result.content.protocol if result.content is not None else None
        return DeLookup(
            cdc,
            bool(result.found),
            result.code,
            result.message,
            str(protocol) if protocol is not None else None,
            _exchange(call),
        )


def _exchange(call: SifenCall[Any]) -> Exchange:
    return Exchange(call.request_xml, call.response_xml)


class EventSifenPort(ClientSifenPort):
    """The sender's port plus siRecepEvento (events: sifenflow_sender.events)."""

    async def send_event(self, tenant_id: UUID, ges_eve_xml: bytes) -> EventReply:
        call: SifenCall[Any] = await self._call(tenant_id, lambda c: c.recepcion_evento([ges_eve_xml]))
        result = call.result
        first = result.results[0] if result.results else None
        message = first.messages[0] if first is not None and first.messages else None
        return EventReply(
            accepted=bool(first is not None and first.accepted),
            status=first.status if first is not None else "",
            code=message.code if message else "",
            message=message.message if message else "",
            protocol=str(first.protocol) if first is not None and first.protocol is not None else None,
            processed_at=result.processed_at,
            exchange=_exchange(call),
        )

    async def registered_event(self, tenant_id: UUID, cdc: str, sifen_id: int) -> str | None:
        """dProtAut ("" when absent) of event ``rEve Id=sifen_id`` if siConsDE lists it for ``cdc``,
        else None: tells a resend of our own event from someone else's earlier one."""
        call: SifenCall[Any] = await self._call(tenant_id, lambda c: c.consulta_de(cdc))
        content = call.result.content
        if not call.result.found or content is None:
            return None
        for container in content.events:
            root = etree.fromstring(container)
            ids = {e.get("Id") for e in root.iter() if etree.QName(e).localname == "rEve"}
            if str(sifen_id) in ids:
                protocols = [e.text or "" for e in root.iter() if etree.QName(e).localname == "dProtAut"]
                return protocols[0] if protocols else ""
        return None
