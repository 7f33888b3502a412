"""OpenID Connect sign-in (authorization-code flow with PKCE, state and nonce).

The provider is found by discovery (``/.well-known/openid-configuration``); the ID token is verified
with the provider's JWKS (signature), and for iss, aud, exp and the nonce sent with the request.
Authlib makes the PKCE challenge and the random values; joserfc (Authlib's JOSE library) verifies
the token. A user is matched by the token's email only when the provider says it is verified.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import asyncpg
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from sifenflow_common.users.tokens import hash_token

REQUEST_TTL = timedelta(minutes=10)
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384")
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=15)


class OidcError(Exception):
    """The provider's answer cannot be trusted or used (the message says why; no secrets in it)."""


@dataclass(frozen=True, slots=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str | None
    redirect_url: str
    scopes: str = "openid email profile"

    def __repr__(self) -> str:
        return f"OidcConfig(issuer={self.issuer!r}, client_id={self.client_id!r}, client_secret=***)"


@dataclass(frozen=True, slots=True)
class PendingRequest:
    state: str
    nonce: str
    code_verifier: str


class OidcRequests:
    """Sign-ins in flight, keyed by the hash of their state; each is taken once."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def save(self, pending: PendingRequest) -> None:
        await self._pool.execute(
            """
            INSERT INTO oidc_requests (state_hash, nonce, code_verifier, expires_at)
            VALUES ($1, $2, $3, now() + $4::interval)
            """,
            hash_token(pending.state),
            pending.nonce,
            pending.code_verifier,
            REQUEST_TTL,
        )
        await self._pool.execute("DELETE FROM oidc_requests WHERE expires_at < now() - interval '1 day'")

    async def take(self, state: str) -> PendingRequest | None:
        row = await self._pool.fetchrow(
            """
            DELETE FROM oidc_requests WHERE state_hash = $1
            RETURNING nonce, code_verifier, expires_at > now() AS live
            """,
            hash_token(state),
        )
        if row is None or not row["live"]:
            return None
        return PendingRequest(state, row["nonce"], row["code_verifier"])


class OidcClient:
    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._metadata: dict[str, Any] | None = None

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as http, http.get(url) as response:
                if response.status != 200:
                    raise OidcError(f"{url} answered {response.status}")
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, ValueError) as exc:
            raise OidcError(f"{url}: {type(exc).__name__}") from exc
        if not isinstance(body, dict):
            raise OidcError(f"{url} did not answer a JSON object")
        return body

    async def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            found = await self._get_json(url)
            if found.get("issuer") != self.config.issuer:
                raise OidcError("the discovery document names another issuer")
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(name), str):
                    raise OidcError(f"the discovery document has no {name}")
            self._metadata = found
        return self._metadata

    async def start(self) -> tuple[PendingRequest, str]:
        """A new request and the provider URL to send the browser to."""
        pending = PendingRequest(generate_token(43), generate_token(43), generate_token(64))
        meta = await self.metadata()
        query = {
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": self.config.redirect_url,
            "scope": self.config.scopes,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": create_s256_code_challenge(pending.code_verifier),
            "code_challenge_method": "S256",
        }
        endpoint = str(meta["authorization_endpoint"])
        separator = "&" if "?" in endpoint else "?"
        return pending, endpoint + separator + urlencode(query)

    async def finish(self, pending: PendingRequest, code: str) -> dict[str, Any]:
        """Exchanges the code and returns the verified ID token's claims."""
        meta = await self.metadata()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_url,
            "client_id": self.config.client_id,
            "code_verifier": pending.code_verifier,
        }
        headers = {"Accept": "application/json"}
        if self.config.client_secret is not None:  # client_secret_basic (RFC 6749 §2.3.1)
            pair = f"{quote(self.config.client_id, safe='')}:{quote(self.config.client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        try:
            async with (
                aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as http,
                http.post(str(meta["token_endpoint"]), data=form, headers=headers) as response,
            ):
                status = response.status
                body = await response.json(content_type=None) if status == 200 else None
        except (aiohttp.ClientError, ValueError) as exc:
            raise OidcError(f"the token endpoint: {type(exc).__name__}") from exc
        if status != 200 or not isinstance(body, dict):
            raise OidcError(f"the token endpoint answered {status}")
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("the token endpoint gave no id_token")
        return await self.verify(id_token, pending.nonce)

    async def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        meta = await self.metadata()
        keys = KeySet.import_key_set(await self._get_json(str(meta["jwks_uri"])))  # type: ignore[arg-type]
        try:
            token = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
            registry = jwt.JWTClaimsRegistry(
                now=int(time.time()),
                leeway=60,
                iss={"essential": True, "value": self.config.issuer},
                aud={"essential": True, "value": self.config.client_id},
                exp={"essential": True},
                sub={"essential": True},
                nonce={"essential": True, "value": nonce},
            )
            registry.validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise OidcError(f"ID token refused: {type(exc).__name__}") from exc
        claims = dict(token.claims)
        azp = claims.get("azp")
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and azp != self.config.client_id:
            raise OidcError("ID token refused: azp is not this client")
        return claims


def verified_email(claims: dict[str, Any]) -> str | None:
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is not True:
        return None
    return email.strip().lower()
