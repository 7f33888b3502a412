"""Async SOAP 1.2 client of the six SIFEN web services (aiohttp), one method per WSDL operation.

Envelopes and parsing come from the pure ``sifenflow_common.sifen.soap``; this module only does
HTTP: POST to ``<base>/de/ws/<group>/<name>.wsdl`` (sifen-protocol.md §1.1), mutual TLS through the
given ``ssl.SSLContext``, timeouts, and the mapping of every outcome to a typed result,
``SifenTransportError`` or ``SifenRejection``. Each call returns the request and response bytes
for the audit trail.
"""

from __future__ import annotations

import itertools
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import aiohttp

from sifenflow_common.sifen import soap
from sifenflow_common.sifen.soap import Operation
from sifenflow_common.sifen_client.config import REQUESTER_RUC_HEADER, SifenClientConfig
from sifenflow_common.sifen_client.errors import (
    RETRYABLE_CODES,
    SifenRejection,
    SifenTransportError,
    TransportProblem,
)

T = TypeVar("T")
# (operation, response code, seconds) of every call; the code is dCodRes (or the first message's
# code), or the transport problem (timeout, connect, ...) when SIFEN gave no usable answer.
SifenObserver = Callable[[str, str, float], None]
NO_CODE = "sin_codigo"

# Codes that are an answer about the thing asked for (a result), per operation; any other code in
# the top-level dCodRes of these operations means the request itself was refused (MT v150 §3).
_RESULT_CODES: dict[Operation, frozenset[str]] = {
    Operation.RECEPCION_LOTE: frozenset({"0300"}),
    Operation.CONSULTA_LOTE: frozenset({"0360", "0361", "0362", "0363", "0364"}),
    Operation.CONSULTA_DE: frozenset({"0420", "0422"}),
    Operation.CONSULTA_RUC: frozenset({"0500", "0502"}),
}

_SOAP_PROBLEMS = {
    soap.SoapProblem.HTML: TransportProblem.HTML,
    soap.SoapProblem.MALFORMED: TransportProblem.MALFORMED,
    soap.SoapProblem.EMPTY: TransportProblem.EMPTY,
    soap.SoapProblem.NOT_SOAP: TransportProblem.UNEXPECTED,
}


@dataclass(frozen=True, slots=True)
class SifenCall(Generic[T]):
    """A typed result with the exchange that produced it (kept for the audit trail)."""

    result: T
    operation: str
    url: str
    http_status: int
    request_xml: bytes = field(repr=False)
    response_xml: bytes = field(repr=False)
    d_id: int
    elapsed_seconds: float


def response_code(result: object) -> str:
    """The code a successful call answered with: dCodRes, or the first event's first message code."""
    if isinstance(result, soap.RecepcionEventoResult):
        first = result.results[0] if result.results else None
        return first.messages[0].code if first is not None and first.messages else NO_CODE
    code = getattr(result, "code", None)
    return str(code) if code else NO_CODE


class _DIdSequence:
    """Default ``dId`` values: increasing, seeded from the clock so restarts do not repeat them."""

    def __init__(self) -> None:
        self._counter = itertools.count(int(time.time() * 1000) % 10**14)

    def next(self) -> int:
        return next(self._counter) % 999_999_999_999_999 + 1


class SifenClient:
    """One client per tenant certificate; share an ``aiohttp.ClientSession`` between them."""

    def __init__(
        self,
        config: SifenClientConfig | None = None,
        *,
        ssl_context: ssl.SSLContext | None = None,
        session: aiohttp.ClientSession | None = None,
        observer: SifenObserver | None = None,
    ) -> None:
        self.config = config or SifenClientConfig()
        self._observer = observer
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._session = session
        self._owns_session = session is None
        self._d_ids = _DIdSequence()
        # per request, so a session shared between tenants still gets this client's timeouts
        self._timeout = aiohttp.ClientTimeout(
            total=self.config.total_timeout,
            connect=self.config.connect_timeout,
            sock_read=self.config.read_timeout,
        )

    async def __aenter__(self) -> SifenClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._owns_session = True
        return self._session

    def url(self, operation: Operation) -> str:
        return self.config.resolved_base_url + soap.PATHS[operation]

    # ------------------------------------------------------------ operations (one per WSDL)

    async def recepcion_de(self, rde_xml: bytes, *, d_id: int | None = None) -> SifenCall[soap.ProtDe]:
        """siRecepDE: one signed rDE, synchronous result (dEstRes, dProtAut, gResProc)."""
        d = d_id or self._d_ids.next()
        call = await self._call(Operation.RECEPCION_DE, soap.build_recepcion_de(d, rde_xml), d)
        return cast(SifenCall[soap.ProtDe], call)

    async def recepcion_lote(
        self, rde_xmls: Sequence[bytes], *, d_id: int | None = None
    ) -> SifenCall[soap.RecepcionLoteResult]:
        """siRecepLoteDE: 1-50 signed rDE of one type; 0300 with dProtConsLote, else SifenRejection."""
        d = d_id or self._d_ids.next()
        call = await self._call(Operation.RECEPCION_LOTE, soap.build_recepcion_lote(d, rde_xmls), d)
        return cast(SifenCall[soap.RecepcionLoteResult], call)

    async def consulta_lote(
        self, lote_number: int, *, d_id: int | None = None
    ) -> SifenCall[soap.ConsultaLoteResult]:
        """siResultLoteDE: 0361 in process, 0362 with per-DE results, 0360 unknown, 0363 mixed types."""
        d = d_id or self._d_ids.next()
        call = await self._call(Operation.CONSULTA_LOTE, soap.build_consulta_lote(d, lote_number), d)
        return cast(SifenCall[soap.ConsultaLoteResult], call)

    async def consulta_de(self, cdc: str, *, d_id: int | None = None) -> SifenCall[soap.ConsultaDeResult]:
        """siConsDE: 0422 with the DTE and its events (xContenDE parsed), 0420 when unknown."""
        d = d_id or self._d_ids.next()
        call = await self._call(Operation.CONSULTA_DE, soap.build_consulta_de(d, cdc), d)
        return cast(SifenCall[soap.ConsultaDeResult], call)

    async def consulta_ruc(self, ruc: str, *, d_id: int | None = None) -> SifenCall[soap.ConsultaRucResult]:
        """siConsRUC: 0502 with the taxpayer, 0500 when the RUC does not exist."""
        d = d_id or self._d_ids.next()
        call = await self._call(Operation.CONSULTA_RUC, soap.build_consulta_ruc(d, ruc), d)
        return cast(SifenCall[soap.ConsultaRucResult], call)

    async def recepcion_evento(
        self, ges_eve_xmls: Sequence[bytes], *, d_id: int | None = None
    ) -> SifenCall[soap.RecepcionEventoResult]:
        """siRecepEvento: 1-15 signed rGesEve; one gResProcEVe per event (0600 when registered)."""
        d = d_id or self._d_ids.next()
        call = await self._call(Operation.RECEPCION_EVENTO, soap.build_recepcion_evento(d, ges_eve_xmls), d)
        return cast(SifenCall[soap.RecepcionEventoResult], call)

    # ------------------------------------------------------------ transport

    async def _call(self, operation: Operation, request_xml: bytes, d_id: int) -> SifenCall[object]:
        started = time.perf_counter()
        try:
            call = await self._exchange(operation, request_xml, d_id)
        except SifenRejection as exc:
            self._observe(operation, exc.code or NO_CODE, started)
            raise
        except SifenTransportError as exc:
            self._observe(operation, exc.problem.value, started)
            raise
        self._observe(operation, response_code(call.result), started)
        return call

    def _observe(self, operation: Operation, code: str, started: float) -> None:
        if self._observer is not None:
            self._observer(operation.value, code, time.perf_counter() - started)

    async def _exchange(self, operation: Operation, request_xml: bytes, d_id: int) -> SifenCall[object]:
        url = self.url(operation)
        context: dict[str, Any] = {"operation": operation.value, "url": url, "request_xml": request_xml}
        headers = {
            "Content-Type": self.config.content_type,
            "User-Agent": self.config.user_agent,
            "Accept": "application/soap+xml, application/xml, text/xml",
        }
        if self.config.requester_ruc:
            headers[REQUESTER_RUC_HEADER] = self.config.requester_ruc
        started = time.perf_counter()
        try:
            async with self._get_session().post(
                url, data=request_xml, headers=headers, ssl=self._ssl, timeout=self._timeout
            ) as response:
                status = response.status
                body = await response.content.read(self.config.max_response_bytes)
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise SifenTransportError(
                f"Tiempo de espera agotado ({operation.value})",
                problem=TransportProblem.TIMEOUT,
                retryable=True,
                **context,
            ) from exc
        except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError, ssl.SSLError) as exc:
            raise SifenTransportError(
                f"Error TLS con SIFEN: {exc}", problem=TransportProblem.TLS, retryable=False, **context
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            raise SifenTransportError(
                f"No se pudo conectar con SIFEN: {exc}",
                problem=TransportProblem.CONNECT,
                retryable=True,
                **context,
            ) from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError, aiohttp.ClientPayloadError) as exc:
            raise SifenTransportError(
                f"Conexión interrumpida por SIFEN: {exc}",
                problem=TransportProblem.RESET,
                retryable=True,
                **context,
            ) from exc
        except aiohttp.ClientError as exc:
            raise SifenTransportError(
                f"Error HTTP con SIFEN: {exc}", problem=TransportProblem.CONNECT, retryable=True, **context
            ) from exc
        elapsed = time.perf_counter() - started
        result = self._interpret(operation, status, body, context)
        return SifenCall(
            result=result,
            operation=operation.value,
            url=url,
            http_status=status,
            request_xml=request_xml,
            response_xml=body,
            d_id=d_id,
            elapsed_seconds=elapsed,
        )

    def _interpret(
        self, operation: Operation, status: int, body: bytes, context: dict[str, Any]
    ) -> soap.SifenResult:
        extra = {**context, "response_body": body, "http_status": status}
        try:
            result = soap.parse_response(body, operation)
        except soap.SoapParseError as exc:
            if status >= 300:
                raise SifenTransportError(
                    f"HTTP {status} de SIFEN sin respuesta SOAP legible ({exc.problem.value})",
                    problem=TransportProblem.HTTP_STATUS,
                    retryable=status >= 500 or status in (408, 425, 429),
                    **extra,
                ) from exc
            problem = _SOAP_PROBLEMS[exc.problem]
            raise SifenTransportError(
                f"Respuesta no SOAP de SIFEN ({problem.value}): {exc.detail}",
                problem=problem,
                retryable=True,
                **extra,
            ) from exc
        except soap.SifenAnswerError as exc:
            if exc.code is None and (status >= 500 or (exc.fault and "Receiver" in exc.fault.code)):
                raise SifenTransportError(
                    f"Falla SOAP del servidor SIFEN: {exc.message}",
                    problem=TransportProblem.HTTP_STATUS,
                    retryable=True,
                    **extra,
                ) from exc
            raise SifenRejection(
                f"SIFEN rechazó la solicitud: {exc}",
                code=exc.code,
                sifen_message=exc.message,
                retryable=exc.code in RETRYABLE_CODES,
                **extra,
            ) from exc
        self._raise_if_refused(operation, result, extra)
        return result

    @staticmethod
    def _raise_if_refused(operation: Operation, result: soap.SifenResult, extra: dict[str, Any]) -> None:
        code: str | None
        message: str
        if isinstance(result, soap.ProtDe):
            code, message = result.code, result.messages[0].message if result.messages else ""
            if code in RETRYABLE_CODES and not result.approved:
                raise SifenRejection(
                    f"SIFEN no procesó el DE: {code} {message}",
                    code=code,
                    sifen_message=message,
                    retryable=True,
                    **extra,
                )
            return
        if isinstance(result, soap.RecepcionEventoResult):
            return
        if isinstance(result, soap.RecepcionLoteResult):
            code, message = result.code, result.message or ""
        elif isinstance(result, soap.ConsultaLoteResult | soap.ConsultaDeResult | soap.ConsultaRucResult):
            code, message = result.code, result.message
        else:  # pragma: no cover - exhaustive
            return
        if code not in _RESULT_CODES[operation]:
            raise SifenRejection(
                f"SIFEN rechazó la solicitud {operation.value}: {code} {message}",
                code=code,
                sifen_message=message,
                retryable=code in RETRYABLE_CODES,
                **extra,
            )
