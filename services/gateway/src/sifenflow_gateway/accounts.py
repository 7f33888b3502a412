"""What the user routes need, wired once: users, sessions, audit log, sign-in mail, OIDC client."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import asyncpg

from sifenflow_common.users.audit import AuditLog
from sifenflow_common.users.repository import UserRepository
from sifenflow_common.users.sessions import SessionRepository, SessionTtl
from sifenflow_gateway.oidc import OidcClient, OidcConfig, OidcRequests
from sifenflow_gateway.settings import GatewaySettings
from sifenflow_gateway.signin_mail import SigninMailer


@dataclass(frozen=True)
class AccountDeps:
    users: UserRepository
    sessions: SessionRepository
    audit: AuditLog
    mailer: SigninMailer
    oidc: OidcClient | None
    oidc_requests: OidcRequests


def session_ttl(settings: GatewaySettings) -> SessionTtl:
    return SessionTtl(
        access=timedelta(minutes=settings.access_ttl_minutes),
        refresh=timedelta(hours=settings.refresh_ttl_hours),
        session=timedelta(hours=settings.session_ttl_hours),
    )


def postgres_accounts(pool: asyncpg.Pool, settings: GatewaySettings) -> AccountDeps:
    oidc = None
    if settings.oidc_issuer and settings.oidc_client_id and settings.oidc_redirect_url:
        secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else None
        config = OidcConfig(
            settings.oidc_issuer,
            settings.oidc_client_id,
            secret,
            settings.oidc_redirect_url,
            settings.oidc_scopes,
        )
        oidc = OidcClient(config)
    return AccountDeps(
        users=UserRepository(pool),
        sessions=SessionRepository(pool, session_ttl(settings)),
        audit=AuditLog(pool),
        mailer=SigninMailer(settings),
        oidc=oidc,
        oidc_requests=OidcRequests(pool),
    )
