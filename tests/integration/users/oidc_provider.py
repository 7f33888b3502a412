"""A small OpenID Connect provider for the tests, over real HTTP: discovery, /authorize (signs in
whoever the test says, at once), /token (authorization code + PKCE S256, client secret by HTTP
Basic), /jwks with a throw-away RSA key. ``tamper`` bends the next ID tokens to test refusals."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from sifenflow_common.testing.ports import free_port

CLIENT_ID = "sifenflow-test"
CLIENT_SECRET = "oidc-test-secret-0123456789"
REDIRECT_URL = "http://gateway.test/auth/oidc/retorno"


@dataclass
class Grant:
    email: str
    email_verified: bool
    nonce: str
    challenge: str
    redirect_uri: str


@dataclass
class OidcTestProvider:
    issuer: str = ""
    email: str = ""
    email_verified: bool = True
    tamper: dict[str, Any] = field(default_factory=dict)  # claims to override, or "other_key": True
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, auto_kid=True))
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self._discovery)
        app.router.add_get("/authorize", self._authorize)
        app.router.add_post("/token", self._token)
        app.router.add_get("/jwks", self._jwks)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.issuer = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _discovery(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def _jwks(self, _: web.Request) -> web.Response:
        return web.json_response(KeySet([self.key]).as_dict(private=False))

    async def _authorize(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("client_id") != CLIENT_ID or q.get("redirect_uri") != REDIRECT_URL:
            return web.json_response({"error": "invalid_client"}, status=400)
        if q.get("response_type") != "code" or "openid" not in q.get("scope", "").split():
            return web.json_response({"error": "invalid_request"}, status=400)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge") or not q.get("nonce"):
            return web.json_response({"error": "invalid_request", "detail": "PKCE and nonce"}, status=400)
        code = secrets.token_urlsafe(24)
        self.grants[code] = Grant(
            self.email, self.email_verified, q["nonce"], q["code_challenge"], q["redirect_uri"]
        )
        target = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        return web.Response(status=302, headers={"Location": target})

    async def _token(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        self.token_requests.append({k: str(v) for k, v in form.items()})
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"error": "invalid_client"}, status=401)
        grant = self.grants.pop(str(form.get("code", "")), None)
        if grant is None or form.get("grant_type") != "authorization_code":
            return web.json_response({"error": "invalid_grant"}, status=400)
        verifier = str(form.get("code_verifier", ""))
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
            return web.json_response({"error": "invalid_grant", "detail": "PKCE"}, status=400)
        if form.get("redirect_uri") != grant.redirect_uri:
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": hashlib.sha256(grant.email.encode()).hexdigest()[:16],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
            "email": grant.email,
            "email_verified": grant.email_verified,
        }
        tamper = dict(self.tamper)
        key = self.key
        if tamper.pop("other_key", False):  # same kid, another key: the signature cannot verify
            other = RSAKey.generate_key(2048).as_dict(private=True)
            key = RSAKey.import_key({**other, "kid": self.key.kid})
        claims.update(tamper)
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        return web.json_response(
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "id_token": id_token,
                "expires_in": 300,
            }
        )
