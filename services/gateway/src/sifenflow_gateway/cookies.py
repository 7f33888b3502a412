"""Session cookies: the access token (HttpOnly, every path), the refresh token (HttpOnly, /auth only,
SameSite=Strict) and the CSRF token (readable by the page, sent back in ``X-CSRF-Token`` on writes).
Secure when the request came over HTTPS or COOKIE_SECURE is set."""

from __future__ import annotations

import hmac

from aiohttp import web

from sifenflow_common.users.sessions import IssuedTokens
from sifenflow_common.users.tokens import hash_token
from sifenflow_gateway.keys import SETTINGS
from sifenflow_gateway.security_headers import over_https

ACCESS_COOKIE = "sf_access"
REFRESH_COOKIE = "sf_refresh"
CSRF_COOKIE = "sf_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _secure(request: web.Request) -> bool:
    return request.app[SETTINGS].cookie_secure or over_https(request)


def set_session_cookies(request: web.Request, response: web.StreamResponse, tokens: IssuedTokens) -> None:
    settings = request.app[SETTINGS]
    secure = _secure(request)
    response.set_cookie(
        ACCESS_COOKIE,
        tokens.access,
        path="/",
        max_age=int(settings.access_ttl_minutes * 60),
        httponly=True,
        secure=secure,
        samesite="Lax",
    )
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh,
        path="/auth",
        max_age=int(settings.refresh_ttl_hours * 3600),
        httponly=True,
        secure=secure,
        samesite="Strict",
    )
    if tokens.csrf is not None:
        response.set_cookie(
            CSRF_COOKIE,
            tokens.csrf,
            path="/",
            max_age=int(settings.session_ttl_hours * 3600),
            secure=secure,
            samesite="Strict",
        )


def clear_session_cookies(response: web.StreamResponse) -> None:
    response.del_cookie(ACCESS_COOKIE, path="/")
    response.del_cookie(REFRESH_COOKIE, path="/auth")
    response.del_cookie(CSRF_COOKIE, path="/")


def csrf_ok(request: web.Request, csrf_hash: str) -> bool:
    """The write carries the session's CSRF token in its header (a cross-site form cannot)."""
    sent = request.headers.get(CSRF_HEADER, "")
    return bool(sent) and hmac.compare_digest(hash_token(sent), csrf_hash)
