"""Sessions as refresh-token families: a short-lived access token, a refresh token spent on each
use (the next one is issued with it), and a CSRF token for cookie-authenticated writes.

Presenting a refresh token that was already spent means two parties hold the family's tokens: the
whole family (every access and refresh token) is revoked.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from sifenflow_common.users.tokens import hash_token, new_token


@dataclass(frozen=True, slots=True)
class SessionTtl:
    access: timedelta
    refresh: timedelta
    session: timedelta  # the family's absolute lifetime: refreshing never extends past it


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    session_id: uuid.UUID
    user_id: uuid.UUID
    access: str
    refresh: str
    csrf: str | None  # only when the session is created (it stays the same for the family)

    def __repr__(self) -> str:
        return f"IssuedTokens(session_id={self.session_id!r}, access=***, refresh=***, csrf=***)"


@dataclass(frozen=True, slots=True)
class ActiveSession:
    session_id: uuid.UUID
    user_id: uuid.UUID
    csrf_hash: str


class RefreshOutcome(enum.Enum):
    ROTATED = "rotated"
    REUSED = "reused"  # a spent token came back: the family is revoked
    INVALID = "invalid"  # unknown, expired, or its family is revoked


class SessionRepository:
    def __init__(self, pool: asyncpg.Pool, ttl: SessionTtl) -> None:
        self._pool = pool
        self._ttl = ttl

    async def create(self, user_id: uuid.UUID, method: str) -> IssuedTokens:
        session_id = uuid.uuid4()
        csrf = new_token()
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """
                INSERT INTO user_sessions (id, user_id, method, csrf_hash, expires_at)
                VALUES ($1, $2, $3, $4, now() + $5::interval)
                """,
                session_id,
                user_id,
                method,
                hash_token(csrf),
                self._ttl.session,
            )
            access, refresh = await self._issue(conn, session_id)
        return IssuedTokens(session_id, user_id, access, refresh, csrf)

    async def _issue(self, conn: asyncpg.Connection, session_id: uuid.UUID) -> tuple[str, str]:
        access, refresh = new_token(), new_token()
        await conn.executemany(
            """
            INSERT INTO session_tokens (token_hash, session_id, kind, expires_at)
            SELECT $1, $2, $3, least(now() + $4::interval, s.expires_at)
            FROM user_sessions s WHERE s.id = $2
            """,
            [
                (hash_token(access), session_id, "access", self._ttl.access),
                (hash_token(refresh), session_id, "refresh", self._ttl.refresh),
            ],
        )
        return access, refresh

    async def by_access(self, token: str) -> ActiveSession | None:
        row = await self._pool.fetchrow(
            """
            SELECT s.id, s.user_id, s.csrf_hash FROM session_tokens t
            JOIN user_sessions s ON s.id = t.session_id
            WHERE t.token_hash = $1 AND t.kind = 'access' AND t.expires_at > now()
              AND s.revoked_at IS NULL
            """,
            hash_token(token),
        )
        return ActiveSession(row["id"], row["user_id"], row["csrf_hash"]) if row else None

    async def by_refresh(self, token: str) -> ActiveSession | None:
        """The live session a refresh token belongs to, spent or not (to check CSRF before refreshing)."""
        row = await self._pool.fetchrow(
            """
            SELECT s.id, s.user_id, s.csrf_hash FROM session_tokens t
            JOIN user_sessions s ON s.id = t.session_id
            WHERE t.token_hash = $1 AND t.kind = 'refresh' AND s.revoked_at IS NULL
            """,
            hash_token(token),
        )
        return ActiveSession(row["id"], row["user_id"], row["csrf_hash"]) if row else None

    async def refresh(self, token: str) -> tuple[RefreshOutcome, IssuedTokens | None]:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                """
                SELECT t.session_id, t.used_at, t.expires_at > now() AS live, s.user_id,
                       s.revoked_at IS NULL AND s.expires_at > now() AS session_live
                FROM session_tokens t JOIN user_sessions s ON s.id = t.session_id
                WHERE t.token_hash = $1 AND t.kind = 'refresh'
                FOR UPDATE OF t, s
                """,
                hash_token(token),
            )
            if row is None or not row["session_live"]:
                return RefreshOutcome.INVALID, None
            if row["used_at"] is not None:
                await _revoke(conn, row["session_id"], "refresh token reused")
                return RefreshOutcome.REUSED, None
            if not row["live"]:
                return RefreshOutcome.INVALID, None
            await conn.execute(
                "UPDATE session_tokens SET used_at = now() WHERE token_hash = $1", hash_token(token)
            )
            # the previous access token ends with the rotation
            await conn.execute(
                """
                UPDATE session_tokens SET expires_at = least(expires_at, now())
                WHERE session_id = $1 AND kind = 'access'
                """,
                row["session_id"],
            )
            access, refresh = await self._issue(conn, row["session_id"])
        return RefreshOutcome.ROTATED, IssuedTokens(row["session_id"], row["user_id"], access, refresh, None)

    async def revoke(self, session_id: uuid.UUID, reason: str) -> None:
        async with self._pool.acquire() as conn:
            await _revoke(conn, session_id, reason)

    async def purge_expired(self, grace: timedelta) -> int:
        """Forgets tokens, links and SSO requests that expired more than ``grace`` ago (none of them
        can be used any more; a spent refresh token past its expiry is refused either way)."""
        total = 0
        async with self._pool.acquire() as conn:
            for table in ("session_tokens", "user_links", "oidc_requests"):
                done = await conn.execute(
                    f"DELETE FROM {table} WHERE expires_at < now() - $1::interval",
                    grace,
                )
                total += int(done.split()[-1])
        return total

    async def is_revoked(self, session_id: uuid.UUID) -> bool:
        revoked = await self._pool.fetchval(
            "SELECT revoked_at IS NOT NULL FROM user_sessions WHERE id = $1", session_id
        )
        return bool(revoked)


async def _revoke(conn: asyncpg.Connection, session_id: uuid.UUID, reason: str) -> None:
    await conn.execute(
        """
        UPDATE user_sessions SET revoked_at = coalesce(revoked_at, now()),
               revoked_reason = coalesce(revoked_reason, $2)
        WHERE id = $1
        """,
        session_id,
        reason,
    )
