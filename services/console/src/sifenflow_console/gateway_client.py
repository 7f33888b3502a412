"""The console's only way to the platform: the gateway's HTTP API, called with the browser's own
session cookies, so every page goes through the gateway's one authorization table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

FORWARDED_COOKIES = ("sf_access", "sf_csrf")


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any]
    set_cookies: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def result(self) -> Any:
        return self.body.get("result")

    def errors(self) -> list[str]:
        """The API's Spanish messages: one per issue, else its one error text."""
        issues = self.body.get("errores")
        messages = [str(i["message"]) for i in issues or () if isinstance(i, dict) and i.get("message")]
        if not messages and isinstance(self.body.get("error"), str):
            messages = [self.body["error"]]
        return messages or [f"El servidor respondió {self.status}"]


class GatewayClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def start(self, _app: web.Application) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))

    async def close(self, _app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "the console app is not started"
        return self._session

    def headers(self, request: web.Request, write: bool = False) -> dict[str, str]:
        cookies = "; ".join(f"{k}={v}" for k in FORWARDED_COOKIES if (v := request.cookies.get(k)))
        headers = {"Cookie": cookies} if cookies else {}
        if write and (csrf := request.cookies.get("sf_csrf")):
            headers["X-CSRF-Token"] = csrf
        return headers

    async def call(
        self,
        request: web.Request,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> Answer:
        write = method not in ("GET", "HEAD")
        async with self.session.request(
            method,
            self.base_url + path,
            params=params,
            json=json,
            headers=self.headers(request, write),
        ) as response:
            try:
                body = await response.json(content_type=None)
            except ValueError:
                body = {}
            cookies = tuple(response.headers.getall("Set-Cookie", ()))
            return Answer(response.status, body if isinstance(body, dict) else {}, cookies)

    async def stream(
        self, request: web.Request, path: str, params: Mapping[str, str] | None = None
    ) -> web.StreamResponse | None:
        """A download (KuDE, XML, CSV, ZIP) passed through to the browser as it arrives; None when
        the gateway refuses it."""
        async with self.session.get(
            self.base_url + path, params=params, headers=self.headers(request)
        ) as upstream:
            if upstream.status != 200:
                return None
            response = web.StreamResponse(status=200)
            for name in ("Content-Type", "Content-Disposition"):
                if name in upstream.headers:
                    response.headers[name] = upstream.headers[name]
            await response.prepare(request)
            async for chunk in upstream.content.iter_chunked(64 * 1024):
                await response.write(chunk)
            await response.write_eof()
            return response


CLIENT = web.AppKey("gateway_client", GatewayClient)
