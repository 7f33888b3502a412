"""SIFEN pass-through consultas for the gateway (siConsRUC, siConsDE) over the common SOAP client:
one ``SifenClient`` per tenant (its SIFEN URL, its certificate for mutual TLS), answers cached
briefly so a burst of lookups of one RUC or CDC costs one SIFEN call."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import aiohttp

from sifenflow_common.sifen_client import (
    SifenClient,
    SifenClientConfig,
    TlsContextCache,
    client_certificate_from_pkcs12,
)
from sifenflow_common.tenants.model import Environment
from sifenflow_common.tenants.repository import TenantRepository


class ConsultaUnavailable(Exception):
    """The tenant cannot query SIFEN (no certificate for mutual TLS)."""


@dataclass
class _Cached:
    expires: float
    value: Any


class SifenConsultas:
    def __init__(
        self,
        tenants: TenantRepository,
        *,
        ttl_s: float = 60.0,
        max_entries: int = 2048,
        timeout_s: float = 20.0,
    ) -> None:
        self._tenants = tenants
        self._ttl_s = ttl_s
        self._max = max_entries
        self._timeout_s = timeout_s
        self._cache: OrderedDict[tuple[uuid.UUID, str, str], _Cached] = OrderedDict()
        self._clients: dict[uuid.UUID, tuple[float, SifenClient]] = {}
        self._tls = TlsContextCache()
        self._session: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _client(self, tenant_id: uuid.UUID) -> SifenClient:
        hit = self._clients.get(tenant_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        async with self._lock:
            if self._session is None or self._session.closed:
                self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout_s))
            tenant = await self._tenants.get(tenant_id)
            if tenant is None:
                raise ConsultaUnavailable("La empresa no existe")
            ssl_context = None
            if tenant.sifen_base_url.startswith("https"):
                secrets = await self._tenants.load_secrets(tenant_id)
                if secrets.certificate_p12 is None:
                    raise ConsultaUnavailable("La empresa no tiene certificado para conectarse a SIFEN")
                cert = client_certificate_from_pkcs12(secrets.certificate_p12, secrets.certificate_password)
                ssl_context = await asyncio.to_thread(self._tls.get, str(tenant_id), cert)
            client = SifenClient(
                SifenClientConfig(
                    base_url=tenant.sifen_base_url,
                    # the simulator answers as SIFEN for this emisor: 0421 for another's DTE
                    requester_ruc=tenant.ruc if tenant.environment is Environment.SIMULADO else None,
                ),
                ssl_context=ssl_context,
                session=self._session,
            )
            self._clients[tenant_id] = (time.monotonic() + 60.0, client)
            return client

    def _cached(self, key: tuple[uuid.UUID, str, str]) -> Any | None:
        hit = self._cache.get(key)
        if hit is None or hit.expires < time.monotonic():
            return None
        return hit.value

    def _store(self, key: tuple[uuid.UUID, str, str], value: Any) -> None:
        self._cache[key] = _Cached(time.monotonic() + self._ttl_s, value)
        self._cache.move_to_end(key)
        while len(self._cache) > self._max:
            self._cache.popitem(last=False)

    async def ruc(self, tenant_id: uuid.UUID, ruc: str) -> tuple[Any, bool]:
        """(ConsultaRucResult, from_cache). Raises the client's SifenError on failure."""
        key = (tenant_id, "ruc", ruc)
        cached = self._cached(key)
        if cached is not None:
            return cached, True
        call = await (await self._client(tenant_id)).consulta_ruc(ruc)
        self._store(key, call.result)
        return call.result, False

    async def de(self, tenant_id: uuid.UUID, cdc: str) -> tuple[Any, bool]:
        key = (tenant_id, "de", cdc)
        cached = self._cached(key)
        if cached is not None:
            return cached, True
        call = await (await self._client(tenant_id)).consulta_de(cdc)
        self._store(key, call.result)
        return call.result, False
