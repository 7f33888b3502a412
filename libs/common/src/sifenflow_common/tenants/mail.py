"""Per-tenant KuDE / mail settings (issue 7): the tenant's SMTP server and the "eager PDF" flag.

Non-secret SMTP fields live in ``tenants.smtp`` (jsonb, migration 0100); the password is sealed
with the tenant's other secrets (AES-GCM, associated data ``tenant:<id>:smtp_password``) in
``tenants.smtp_password_sealed`` and ``kude_eager`` says whether the kude service renders the KuDE
as soon as a document is approved (migrations 0200). The admin API and the CLI share
``parse_mail_input``; the mailer reads ``TenantMailRepository.load``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, cast

import asyncpg

from sifenflow_common.crypto import SecretBox
from sifenflow_common.errors import ValidationIssue

Security = Literal["none", "starttls", "tls"]
SECURITIES: tuple[Security, ...] = ("none", "starttls", "tls")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$")
_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
MAX_EMAIL = 254  # RFC 5321
MAX_SMTP_USER = 320  # documented in docs/gateway-api.md (limits)
MAX_SMTP_PASSWORD = 1024
_KEEP = object()  # password not given in an update: keep the stored one


def _aad(tenant_id: uuid.UUID) -> str:
    return f"tenant:{tenant_id}:smtp_password"


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """One tenant's outgoing mail server; ``password`` is the decrypted secret (never in repr)."""

    host: str
    port: int
    security: Security
    from_address: str
    from_name: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def public_view(self, *, has_password: bool | None = None) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "user": self.username,
            "from": self.from_address,
            "fromName": self.from_name,
            "hasPassword": self.password is not None if has_password is None else has_password,
        }


@dataclass(frozen=True, slots=True)
class MailSettings:
    tenant_id: uuid.UUID
    environment: str  # simulado | test | produccion (KuDE legend)
    smtp: SmtpConfig | None
    kude_eager: bool

    def public_view(self) -> dict[str, Any]:
        return {"smtp": self.smtp.public_view() if self.smtp else None, "kudeEager": self.kude_eager}


@dataclass(frozen=True, slots=True)
class MailInput:
    """A validated update: ``smtp`` None removes the SMTP settings, ``_KEEP`` leaves them; the
    password inside is ``_KEEP`` when not given (keep the stored one) or None (remove it)."""

    smtp: SmtpConfig | object | None = _KEEP
    password: str | object | None = _KEEP
    kude_eager: bool | None = None  # None: unchanged


def _issue(code: str, path: str, message: str) -> ValidationIssue:
    return ValidationIssue(code=code, path=path, message=message)


def _parse_smtp(raw: Any) -> tuple[SmtpConfig | None, object, list[ValidationIssue]]:
    if not isinstance(raw, dict):
        return None, _KEEP, [_issue("CAMPO_INVALIDO", "smtp", "smtp debe ser un objeto o null")]
    issues: list[ValidationIssue] = []
    host = raw.get("host")
    if not isinstance(host, str) or not _HOST.match(host):
        issues.append(_issue("SMTP_HOST_INVALIDO", "smtp.host", "Indique el servidor SMTP (nombre o IP)"))
    port = raw.get("port", 587)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        issues.append(
            _issue("SMTP_PUERTO_INVALIDO", "smtp.port", "El puerto SMTP debe estar entre 1 y 65535")
        )
    security = raw.get("security", "starttls")
    if security not in SECURITIES:
        issues.append(
            _issue("SMTP_SEGURIDAD_INVALIDA", "smtp.security", "security debe ser none, starttls o tls")
        )
    sender = raw.get("from")
    if not isinstance(sender, str) or len(sender) > MAX_EMAIL or not _EMAIL.match(sender):
        issues.append(
            _issue("SMTP_REMITENTE_INVALIDO", "smtp.from", "Indique la dirección del remitente (from)")
        )
    user = raw.get("user")
    if user is not None and (not isinstance(user, str) or len(user) > MAX_SMTP_USER):
        message = f"user: texto de hasta {MAX_SMTP_USER} caracteres"
        issues.append(_issue("CAMPO_INVALIDO", "smtp.user", message))
    name = raw.get("fromName")
    if name is not None and (not isinstance(name, str) or len(name) > 120):
        issues.append(_issue("CAMPO_INVALIDO", "smtp.fromName", "fromName: texto de hasta 120 caracteres"))
    password: object = _KEEP
    if "password" in raw:
        password = raw["password"]
        if password is not None and (not isinstance(password, str) or len(password) > MAX_SMTP_PASSWORD):
            message = f"password: texto de hasta {MAX_SMTP_PASSWORD} caracteres, o null"
            issues.append(_issue("CAMPO_INVALIDO", "smtp.password", message))
    if issues:
        return None, _KEEP, issues
    config = SmtpConfig(
        host=cast(str, host),
        port=cast(int, port),
        security=cast(Security, security),
        from_address=cast(str, sender),
        from_name=name or None,
        username=user or None,
    )
    return config, password, []


def parse_mail_input(body: Any) -> tuple[MailInput | None, list[ValidationIssue]]:
    """``{"smtp": {host, port, security, user, password, from, fromName} | null, "kudeEager": bool}``."""
    if not isinstance(body, dict):
        return None, [_issue("JSON_INVALIDO", "$", "Se esperaba un objeto JSON")]
    unknown = sorted(set(body) - {"smtp", "kudeEager"})
    if unknown:
        return None, [_issue("CAMPO_DESCONOCIDO", unknown[0], f"Campo desconocido: {unknown[0]}")]
    issues: list[ValidationIssue] = []
    eager = body.get("kudeEager")
    if eager is not None and not isinstance(eager, bool):
        issues.append(_issue("CAMPO_INVALIDO", "kudeEager", "kudeEager debe ser true o false"))
    smtp: object = _KEEP
    password: object = _KEEP
    if "smtp" in body:
        if body["smtp"] is None:
            smtp, password = None, None
        else:
            smtp, password, smtp_issues = _parse_smtp(body["smtp"])
            issues.extend(smtp_issues)
    if issues:
        return None, issues
    return MailInput(smtp=smtp, password=password, kude_eager=eager), []


def _smtp_json(config: SmtpConfig) -> str:
    return json.dumps(
        {
            "host": config.host,
            "port": config.port,
            "security": config.security,
            "user": config.username,
            "from": config.from_address,
            "fromName": config.from_name,
        }
    )


def _smtp_from(raw: Any, password: str | None) -> SmtpConfig | None:
    data = json.loads(raw) if isinstance(raw, str) else raw
    if not data or not data.get("host") or not data.get("from"):
        return None
    return SmtpConfig(
        host=data["host"],
        port=int(data.get("port") or 587),
        security=data.get("security") or "starttls",
        from_address=data["from"],
        from_name=data.get("fromName"),
        username=data.get("user"),
        password=password,
    )


class TenantMailRepository:
    def __init__(self, pool: asyncpg.Pool, box: SecretBox) -> None:
        self._pool = pool
        self._box = box

    async def update(self, tenant_id: uuid.UUID, data: MailInput) -> MailSettings | None:
        """Applies ``data``; None when the tenant does not exist."""
        sets: list[str] = []
        args: list[Any] = [tenant_id]
        if data.smtp is not _KEEP:
            args.append(_smtp_json(data.smtp) if isinstance(data.smtp, SmtpConfig) else "{}")
            sets.append(f"smtp = ${len(args)}::jsonb")
        if data.password is not _KEEP:
            password = data.password
            args.append(self._box.seal_text(password, _aad(tenant_id)) if isinstance(password, str) else None)
            sets.append(f"smtp_password_sealed = ${len(args)}")
        if data.kude_eager is not None:
            args.append(data.kude_eager)
            sets.append(f"kude_eager = ${len(args)}")
        sets.append("updated_at = now()")
        sql = f"UPDATE tenants SET {', '.join(sets)} WHERE id = $1 RETURNING id"
        if await self._pool.fetchval(sql, *args) is None:
            return None
        return await self.load(tenant_id, with_password=False)

    async def load(self, tenant_id: uuid.UUID, *, with_password: bool = True) -> MailSettings | None:
        row = await self._pool.fetchrow(
            "SELECT environment, smtp, smtp_password_sealed, kude_eager FROM tenants WHERE id = $1", tenant_id
        )
        if row is None:
            return None
        sealed = row["smtp_password_sealed"]
        password = None
        if sealed is not None:
            password = self._box.open_text(sealed, _aad(tenant_id)) if with_password else "***"
        return MailSettings(
            tenant_id=tenant_id,
            environment=row["environment"],
            smtp=_smtp_from(row["smtp"], password),
            kude_eager=bool(row["kude_eager"]),
        )


async def kude_eager(pool: asyncpg.Pool, tenant_id: uuid.UUID) -> bool:
    """The tenant's "eager PDF" flag (no secret involved: the kude service needs no master key)."""
    return bool(await pool.fetchval("SELECT kude_eager FROM tenants WHERE id = $1", tenant_id))
