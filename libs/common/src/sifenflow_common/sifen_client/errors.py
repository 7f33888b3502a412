"""Client exceptions: transport failures (no usable SIFEN answer) vs SIFEN rejections of a request.

A business result (a DE "Rechazado", a lote still in process, a CDC or RUC not found) is not an
exception: it comes back as a typed result. ``retryable`` states whether the same request may be
sent again as is. For receptions, retry only after asking SIFEN (consulta DE / lote) when the
request may have arrived (sifen-protocol.md §3, retry policy; style.md §7).
"""

from __future__ import annotations

from enum import StrEnum

# sifen-protocol.md §3 "Retry policy": CRL unavailable (0004, 0124), server not responding/down
# (0161, 0162), lote not queued (0301).
RETRYABLE_CODES = frozenset({"0004", "0124", "0161", "0162", "0301"})


class TransportProblem(StrEnum):
    CONNECT = "connect"  # could not connect
    TLS = "tls"  # TLS handshake / certificate problem
    TIMEOUT = "timeout"
    RESET = "reset"  # connection dropped mid-exchange
    HTTP_STATUS = "http_status"  # non-2xx without a readable SOAP answer
    HTML = "html"  # a load balancer page instead of SOAP
    MALFORMED = "malformed"  # not well-formed XML
    EMPTY = "empty"
    UNEXPECTED = "unexpected"  # XML, but not the expected SOAP answer


class SifenError(Exception):
    """Base of the client's errors; carries the exchange for the audit trail."""

    retryable: bool

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        url: str,
        retryable: bool,
        request_xml: bytes = b"",
        response_body: bytes = b"",
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.url = url
        self.retryable = retryable
        self.request_xml = request_xml
        self.response_body = response_body
        self.http_status = http_status


class SifenTransportError(SifenError):
    """No usable answer from SIFEN (network, TLS, timeout, HTML page, malformed or empty body)."""

    def __init__(self, message: str, *, problem: TransportProblem, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.problem = problem


class SifenRejection(SifenError):
    """SIFEN answered and refused the request itself (e.g. 0301 lote no encolado, 0340, a Fault)."""

    def __init__(self, message: str, *, code: str | None, sifen_message: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.code = code
        self.sifen_message = sifen_message
