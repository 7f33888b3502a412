"""Where a webhook may point: http(s) URLs whose host resolves only to public addresses, unless
private/loopback targets are allowed by setting (``WEBHOOK_ALLOW_PRIVATE_URLS``, used by tests and
on-premise installs). Checked when subscribing and again before every delivery, because DNS can
change between the two."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class UrlRefused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_syntax(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused("WEBHOOK_URL_INVALIDA", "La URL debe ser http:// o https:// con un host")
    if parts.username or parts.password:
        raise UrlRefused("WEBHOOK_URL_INVALIDA", "La URL no puede llevar usuario ni contraseña")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UrlRefused("WEBHOOK_URL_INVALIDA", "Puerto inválido en la URL") from exc
    return parts.hostname, port


async def check_url(url: str, *, allow_private: bool) -> None:
    """Raise ``UrlRefused`` unless ``url`` may receive webhooks."""
    host, port = check_syntax(url)
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UrlRefused("WEBHOOK_URL_NO_RESUELVE", f"No se pudo resolver el host {host}") from exc
    addresses = {str(info[4][0]) for info in infos}
    if not addresses or not all(_is_public(a) for a in addresses):
        raise UrlRefused(
            "WEBHOOK_URL_PRIVADA",
            f"La URL apunta a una dirección privada o local ({host}); no está permitido",
        )
