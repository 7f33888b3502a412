"""Typed application keys (aiohttp AppKey) for everything the handlers reach."""

from __future__ import annotations

import asyncio

from aiohttp import web

from sifenflow_gateway.deps import GatewayDeps
from sifenflow_gateway.metrics import GatewayMetrics
from sifenflow_gateway.ratelimit import RateLimiter
from sifenflow_gateway.settings import GatewaySettings

SETTINGS = web.AppKey("settings", GatewaySettings)
DEPS = web.AppKey("deps", GatewayDeps)
RATE_LIMITER = web.AppKey("rate_limiter", RateLimiter)
BACKGROUND = web.AppKey("background_tasks", set[asyncio.Task[None]])
METRICS = web.AppKey("metrics", GatewayMetrics)
