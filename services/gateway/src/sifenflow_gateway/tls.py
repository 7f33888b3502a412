"""HTTPS for the gateway: a server TLS context from ``TLS_CERT_FILE`` and ``TLS_KEY_FILE``."""

from __future__ import annotations

import ssl

from sifenflow_gateway.settings import GatewaySettings


class TlsConfigError(ValueError):
    """The TLS settings are incomplete or the files cannot be loaded."""


def server_ssl_context(settings: GatewaySettings) -> ssl.SSLContext | None:
    """None when neither file is set (plain HTTP, e.g. behind a TLS-terminating ingress)."""
    cert, key = settings.tls_cert_file, settings.tls_key_file
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise TlsConfigError("TLS_CERT_FILE y TLS_KEY_FILE van juntos: falta uno de los dos")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"No se pudo cargar el certificado TLS {cert} / {key}: {exc}") from exc
    return context
