"""The request path as logs may show it: one-time tokens in the path (sign-in links, invitations)
are replaced by their placeholder, so a log line never holds a usable link."""

from __future__ import annotations

from aiohttp import web

SECRET_PARAMS = ("token",)


def loggable_path(request: web.Request) -> str:
    info = request.match_info
    if not any(name in info for name in SECRET_PARAMS):
        return request.path
    resource = info.route.resource
    return resource.canonical if resource is not None else "/"
