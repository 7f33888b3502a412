"""Users, their role in each company, and one-time links (sign-in and invitations) on PostgreSQL."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from sifenflow_common.tenants.model import Role
from sifenflow_common.users.tokens import hash_token, new_token


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    email: str
    nombre: str
    created_at: datetime
    last_sign_in_at: datetime | None

    def public_view(self) -> dict[str, Any]:
        return {"id": str(self.id), "email": self.email, "nombre": self.nombre}


@dataclass(frozen=True, slots=True)
class Membership:
    """A user's role in one company (as the user sees it: with the company's slug and name)."""

    tenant_id: uuid.UUID
    slug: str
    nombre: str
    role: Role

    def public_view(self) -> dict[str, Any]:
        return {"id": str(self.tenant_id), "slug": self.slug, "nombre": self.nombre, "rol": self.role.value}


@dataclass(frozen=True, slots=True)
class Member:
    """A company's user (as the company's admin sees it)."""

    user_id: uuid.UUID
    email: str
    nombre: str
    role: Role
    since: datetime

    def public_view(self) -> dict[str, Any]:
        return {
            "id": str(self.user_id),
            "email": self.email,
            "nombre": self.nombre,
            "rol": self.role.value,
            "desde": self.since,
        }


@dataclass(frozen=True, slots=True)
class Link:
    """A spent one-time link: who it was for and, for an invitation, into which company and role."""

    purpose: str
    email: str
    tenant_id: uuid.UUID | None
    role: Role | None
    expires_at: datetime


SIGN_IN = "sign_in"
INVITATION = "invitation"


def _user(row: asyncpg.Record) -> User:
    return User(row["id"], row["email"], row["nombre"], row["created_at"], row["last_sign_in_at"])


class UserRepository:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, user_id: uuid.UUID) -> User | None:
        row = await self._pool.fetchrow("SELECT * FROM users WHERE id = $1", user_id)
        return _user(row) if row else None

    async def by_email(self, email: str) -> User | None:
        row = await self._pool.fetchrow("SELECT * FROM users WHERE email = $1", email)
        return _user(row) if row else None

    async def ensure(self, email: str, nombre: str = "") -> User:
        row = await self._pool.fetchrow(
            """
            INSERT INTO users (id, email, nombre) VALUES ($1, $2, $3)
            ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email
            RETURNING *
            """,
            uuid.uuid4(),
            email,
            nombre,
        )
        assert row is not None
        return _user(row)

    async def signed_in(self, user_id: uuid.UUID) -> None:
        await self._pool.execute("UPDATE users SET last_sign_in_at = now() WHERE id = $1", user_id)

    async def memberships(self, user_id: uuid.UUID) -> list[Membership]:
        rows = await self._pool.fetch(
            """
            SELECT m.tenant_id, t.slug, t.nombre, m.role FROM memberships m
            JOIN tenants t ON t.id = m.tenant_id
            WHERE m.user_id = $1 AND t.active ORDER BY t.nombre, t.slug
            """,
            user_id,
        )
        return [Membership(r["tenant_id"], r["slug"], r["nombre"], Role(r["role"])) for r in rows]

    async def role_in(self, user_id: uuid.UUID, tenant_id: uuid.UUID) -> Role | None:
        role = await self._pool.fetchval(
            "SELECT role FROM memberships WHERE user_id = $1 AND tenant_id = $2", user_id, tenant_id
        )
        return Role(role) if role else None

    async def set_role(self, user_id: uuid.UUID, tenant_id: uuid.UUID, role: Role) -> None:
        await self._pool.execute(
            """
            INSERT INTO memberships (user_id, tenant_id, role) VALUES ($1, $2, $3)
            ON CONFLICT (user_id, tenant_id) DO UPDATE SET role = EXCLUDED.role
            """,
            user_id,
            tenant_id,
            role.value,
        )

    async def change_role(self, tenant_id: uuid.UUID, user_id: uuid.UUID, role: Role) -> bool:
        done = await self._pool.execute(
            "UPDATE memberships SET role = $3 WHERE tenant_id = $1 AND user_id = $2",
            tenant_id,
            user_id,
            role.value,
        )
        return done != "UPDATE 0"

    async def remove(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> bool:
        done = await self._pool.execute(
            "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2", tenant_id, user_id
        )
        return done != "DELETE 0"

    async def admins(self, tenant_id: uuid.UUID) -> int:
        count = await self._pool.fetchval(
            "SELECT count(*) FROM memberships WHERE tenant_id = $1 AND role = 'admin'", tenant_id
        )
        return int(count)

    async def members(self, tenant_id: uuid.UUID) -> list[Member]:
        rows = await self._pool.fetch(
            """
            SELECT u.id, u.email, u.nombre, m.role, m.created_at FROM memberships m
            JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 ORDER BY u.email
            """,
            tenant_id,
        )
        return [Member(r["id"], r["email"], r["nombre"], Role(r["role"]), r["created_at"]) for r in rows]

    async def create_link(
        self,
        purpose: str,
        email: str,
        ttl: timedelta,
        *,
        tenant_id: uuid.UUID | None = None,
        role: Role | None = None,
        invited_by: uuid.UUID | None = None,
    ) -> tuple[str, datetime]:
        """A new one-time link token (its text is returned once) and when it expires."""
        token = new_token()
        expires = await self._pool.fetchval(
            """
            INSERT INTO user_links (token_hash, purpose, email, tenant_id, role, invited_by, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, now() + $7::interval) RETURNING expires_at
            """,
            hash_token(token),
            purpose,
            email,
            tenant_id,
            role.value if role else None,
            invited_by,
            ttl,
        )
        return token, expires

    async def recent_links(self, email: str, purpose: str, window: timedelta) -> int:
        count = await self._pool.fetchval(
            """
            SELECT count(*) FROM user_links
            WHERE email = $1 AND purpose = $2 AND created_at > now() - $3::interval
            """,
            email,
            purpose,
            window,
        )
        return int(count)

    async def peek_link(self, token: str, purpose: str) -> Link | None:
        """The link if it can still be used (for a confirmation page; does not spend it)."""
        row = await self._pool.fetchrow(
            """
            SELECT * FROM user_links
            WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
            """,
            hash_token(token),
            purpose,
        )
        return _link(row) if row else None

    async def spend_link(self, token: str, purpose: str) -> Link | None:
        """Marks the link used and returns it; None when unknown, expired or already used."""
        row = await self._pool.fetchrow(
            """
            UPDATE user_links SET used_at = now()
            WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
            RETURNING *
            """,
            hash_token(token),
            purpose,
        )
        return _link(row) if row else None


def _link(row: asyncpg.Record) -> Link:
    role = Role(row["role"]) if row["role"] else None
    return Link(row["purpose"], row["email"], row["tenant_id"], role, row["expires_at"])
