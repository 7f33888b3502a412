"""The notifier's DNS resolution for webhook connections: one resolution per connection, every
address checked (``sifenflow_common.webhooks.urls``), and the connection made to exactly those
addresses; the URL (Host header, TLS server name) is unchanged."""

from __future__ import annotations

import errno
import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from sifenflow_common.webhooks.urls import Resolver, UrlRefused, resolve_checked, system_resolver


class AddressRefused(OSError):
    """An OSError, so aiohttp reports it as a connection error of this delivery attempt."""


class CheckedResolver(AbstractResolver):
    def __init__(self, *, allow_private: bool, resolver: Resolver = system_resolver) -> None:
        self._allow_private = allow_private
        self._resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            addresses = await resolve_checked(
                host, port, allow_private=self._allow_private, resolver=self._resolver
            )
        except UrlRefused as exc:
            raise AddressRefused(errno.EPERM, exc.message) from exc  # strerror: what aiohttp shows
        results: list[ResolveResult] = []
        for address in dict.fromkeys(addresses):  # once each, in the resolver's order
            ip_family = socket.AF_INET6 if ":" in address else socket.AF_INET
            results.append(
                ResolveResult(hostname=host, host=address, port=port, family=ip_family, proto=0, flags=0)
            )
        return results

    async def close(self) -> None:
        return None


def webhook_session(
    *, allow_private: bool, concurrency: int, resolver: Resolver = system_resolver
) -> aiohttp.ClientSession:
    """The delivery session: checked resolution, no DNS cache (each connection resolves once and
    is checked), no proxy from the environment."""
    connector = aiohttp.TCPConnector(
        limit=concurrency,
        resolver=CheckedResolver(allow_private=allow_private, resolver=resolver),
        use_dns_cache=False,
    )
    return aiohttp.ClientSession(connector=connector, trust_env=False)
