"""Async SIFEN client adapter (aiohttp, mutual TLS). Pure SOAP lives in ``sifenflow_common.sifen.soap``."""

from sifenflow_common.sifen_client.client import SifenCall, SifenClient, SifenObserver
from sifenflow_common.sifen_client.config import (
    DEFAULT_BASE_URLS,
    DEFAULT_CONTENT_TYPE,
    REQUESTER_RUC_HEADER,
    SOAP12_CONTENT_TYPE,
    Environment,
    SifenClientConfig,
)
from sifenflow_common.sifen_client.errors import (
    RETRYABLE_CODES,
    SifenError,
    SifenRejection,
    SifenTransportError,
    TransportProblem,
)
from sifenflow_common.sifen_client.ports import SifenPort
from sifenflow_common.sifen_client.tls import (
    CertificateLoadError,
    ClientCertificate,
    TlsContextCache,
    build_ssl_context,
    client_certificate_from_credentials,
    client_certificate_from_pkcs12,
)

__all__ = [
    "DEFAULT_BASE_URLS",
    "DEFAULT_CONTENT_TYPE",
    "REQUESTER_RUC_HEADER",
    "RETRYABLE_CODES",
    "SOAP12_CONTENT_TYPE",
    "CertificateLoadError",
    "ClientCertificate",
    "Environment",
    "SifenCall",
    "SifenClient",
    "SifenClientConfig",
    "SifenError",
    "SifenObserver",
    "SifenPort",
    "SifenRejection",
    "SifenTransportError",
    "TlsContextCache",
    "TransportProblem",
    "build_ssl_context",
    "client_certificate_from_credentials",
    "client_certificate_from_pkcs12",
]
