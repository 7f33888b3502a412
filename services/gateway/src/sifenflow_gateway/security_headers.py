"""Security headers on every response (errors, 404s and the docs page included); HSTS over HTTPS only.

The API answers JSON, PDFs and one static HTML page (``/docs``, inline style, no scripts), so the
policy allows nothing else and no framing.
"""

from __future__ import annotations

from aiohttp import web

from sifenflow_gateway.keys import SETTINGS

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def over_https(request: web.Request) -> bool:
    if request.secure:
        return True
    if not request.config_dict[SETTINGS].trust_forwarded_proto:
        return False
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    return forwarded.split(",")[0].strip().lower() == "https"


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare`` hook: runs for every response, whoever made it."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    max_age = request.config_dict[SETTINGS].hsts_max_age_s
    if max_age and over_https(request):
        response.headers["Strict-Transport-Security"] = f"max-age={max_age}; includeSubDomains"
    response.headers.setdefault("Cache-Control", "no-store")  # tenant data: no shared caches
