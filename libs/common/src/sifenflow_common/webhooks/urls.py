"""Where a webhook may point: http(s) URLs whose host resolves only to public addresses, unless
private/loopback targets are allowed by setting (``WEBHOOK_ALLOW_PRIVATE_URLS``, used by tests and
on-premise installs).

An address is public when it is globally routable and not multicast; an IPv6 address that carries
an IPv4 address (mapped ``::ffff:0:0/96``, compatible ``::/96``, NAT64 ``64:ff9b::/96``, 6to4
``2002::/16``, Teredo ``2001::/32``) must also carry a public IPv4 address, since it reaches that
IPv4 host. NAT64's local-use prefix ``64:ff9b:1::/48`` is never public (where it carries the IPv4
address depends on the operator's prefix length).

Checked when subscribing (``check_url``) and at every delivery: there the notifier resolves the
name once, checks every address and connects to exactly those (``resolve_checked``), so a DNS
answer that changes between the check and the connection (rebinding) cannot reach a private host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

Resolver = Callable[[str, int], Awaitable[list[str]]]

_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


class UrlRefused(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (none for a plain IPv6 address)."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)  # server and (de-obfuscated) client
    if ip in _NAT64 or ip in _COMPATIBLE:
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    return []


def is_public(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        return all(v4.is_global and not v4.is_multicast for v4 in embedded_ipv4(ip))
    return True


def check_syntax(url: str) -> tuple[str, int]:
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as exc:  # e.g. an unbalanced "[" in the host
        raise UrlRefused("WEBHOOK_URL_INVALIDA", "La URL no es válida") from exc
    if parts.scheme not in ("http", "https") or not hostname:
        raise UrlRefused("WEBHOOK_URL_INVALIDA", "La URL debe ser http:// o https:// con un host")
    if parts.username or parts.password:
        raise UrlRefused("WEBHOOK_URL_INVALIDA", "La URL no puede llevar usuario ni contraseña")
    if "[" in parts.netloc and _literal(hostname) is None:
        raise UrlRefused("WEBHOOK_URL_INVALIDA", "La URL lleva entre corchetes algo que no es una IPv6")
    if any(ord(c) < 0x21 or c == "\x7f" for c in url):
        raise UrlRefused("WEBHOOK_URL_INVALIDA", "La URL no puede contener espacios ni caracteres de control")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UrlRefused("WEBHOOK_URL_INVALIDA", "Puerto inválido en la URL") from exc
    return hostname, port


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        return None


def _refused(host: str) -> UrlRefused:
    return UrlRefused(
        "WEBHOOK_URL_PRIVADA", f"La URL apunta a una dirección privada o local ({host}); no está permitido"
    )


async def resolve_checked(
    host: str, port: int, *, allow_private: bool, resolver: Resolver = system_resolver
) -> list[str]:
    """Resolve ``host`` once and return its addresses, refusing the whole answer if any of them is
    not public. Connect only to what this returns."""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = await resolver(host, port)
        except (OSError, ValueError) as exc:  # ValueError: UnicodeError of an IDNA label, NUL
            raise UrlRefused("WEBHOOK_URL_NO_RESUELVE", f"No se pudo resolver el host {host}") from exc
        if not addresses:
            raise UrlRefused("WEBHOOK_URL_NO_RESUELVE", f"No se pudo resolver el host {host}")
    if not allow_private and not all(is_public(a) for a in addresses):
        raise _refused(host)
    return addresses


def check_literal(url: str, *, allow_private: bool) -> None:
    """Syntax, and the address when the host is an IP literal (no DNS: names are checked by the
    connection's own resolution, ``resolve_checked``)."""
    host, _ = check_syntax(url)
    literal = _literal(host)
    if literal is not None and not allow_private and not is_public(literal):
        raise _refused(host)


async def check_url(url: str, *, allow_private: bool, resolver: Resolver = system_resolver) -> None:
    """Raise ``UrlRefused`` unless ``url`` may receive webhooks (checked at subscription)."""
    host, port = check_syntax(url)
    if allow_private:
        return
    await resolve_checked(host, port, allow_private=False, resolver=resolver)
