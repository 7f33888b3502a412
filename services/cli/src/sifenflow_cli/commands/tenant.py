"""``sifenflow tenant create|show`` and ``sifenflow apikey create|revoke`` (straight to DATABASE_URL;
tenant secrets are sealed with MASTER_KEY). Errors go to stderr as JSON {code, path, message}."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import asyncpg
import click

from sifenflow_common.crypto import SecretBox
from sifenflow_common.db.pool import pool_context
from sifenflow_common.errors import ValidationIssue
from sifenflow_common.runtime.settings import load_settings
from sifenflow_common.tenants.input import parse_certificate_input, parse_tenant_input
from sifenflow_common.tenants.mail import TenantMailRepository, parse_mail_input
from sifenflow_common.tenants.model import Role
from sifenflow_common.tenants.repository import (
    ApiKeyRepository,
    RucTakenError,
    TenantExistsError,
    TenantRepository,
    ruc_taken_message,
)

T = TypeVar("T")
SIM_URL_DEFAULT = "http://127.0.0.1:8090"


def _simulator_url() -> str:
    """SIFEN URL of new ``simulado`` emisores: SIM_BASE_URL, as the gateway's admin API reads it."""
    return os.environ.get("SIM_BASE_URL") or SIM_URL_DEFAULT


def _fail(issues: list[ValidationIssue], code: int = 2) -> NoReturn:
    click.echo(json.dumps({"errores": [i.as_dict() for i in issues]}, ensure_ascii=False), err=True)
    sys.exit(code)


def _settings_or_fail() -> tuple[str, SecretBox]:
    settings = load_settings()
    issues = []
    if not settings.database_url:
        issues.append(ValidationIssue("DATABASE_URL_FALTANTE", "env.DATABASE_URL", "Defina DATABASE_URL."))
    master = settings.master_key.get_secret_value() if settings.master_key else ""
    if len(master) < 16:
        issues.append(
            ValidationIssue(
                "MASTER_KEY_FALTANTE", "env.MASTER_KEY", "Defina MASTER_KEY (al menos 16 caracteres)."
            )
        )
    if issues:
        _fail(issues)
    assert settings.database_url is not None
    return settings.database_url, SecretBox([master])


def _run(work: Callable[[asyncpg.Pool, SecretBox], Awaitable[T]]) -> T:
    dsn, box = _settings_or_fail()

    async def main() -> T:
        async with pool_context(dsn, max_size=2, application_name="sifenflow-cli") as pool:
            return await work(pool, box)

    return asyncio.run(main())


def _echo(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@click.group(name="tenant")
def tenant_group() -> None:
    """Empresas (emisores): alta y consulta."""


@tenant_group.command(name="create")
@click.argument("definition", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--certificate", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Archivo .p12"
)
@click.option("--certificate-password", envvar="SIFENFLOW_CERT_PASSWORD", help="Contraseña del .p12")
@click.option(
    "--api-key-role",
    type=click.Choice([*(r.value for r in Role), "lectura"]),
    default=None,
    help="Crea además una clave API con este rol (se muestra una sola vez).",
)
def create_tenant(
    definition: Path, certificate: Path | None, certificate_password: str | None, api_key_role: str | None
) -> None:
    """Crea una empresa desde un JSON {slug, environment, params, puntos, cscId, csc}."""
    try:
        body = json.loads(definition.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail([ValidationIssue("JSON_INVALIDO", "$", f"JSON mal formado: {exc}")])
    if isinstance(body, dict) and certificate is not None:
        body["certificate"] = base64.b64encode(certificate.read_bytes()).decode("ascii")
        body["certificatePassword"] = certificate_password
    data, issues = parse_tenant_input(body)
    if data is None:
        _fail(issues)

    async def work(pool: asyncpg.Pool, box: SecretBox) -> dict[str, Any]:
        tenant = await TenantRepository(pool, box, _simulator_url()).create(data)
        out = tenant.public_view()
        if api_key_role is not None:
            record, token = await ApiKeyRepository(pool).create(tenant.id, Role(api_key_role), "cli")
            out["apiKey"] = dict(record.public_view(), token=token)
        return out

    try:
        _echo(_run(work))
    except TenantExistsError:
        _fail(
            [ValidationIssue("EMPRESA_YA_EXISTE", "slug", f"Ya existe una empresa con slug {data.slug}")], 1
        )
    except RucTakenError as exc:
        _fail([ValidationIssue("RUC_YA_REGISTRADO", "params.ruc", ruc_taken_message(exc))], 1)


@tenant_group.command(name="show")
@click.argument("ref")
def show_tenant(ref: str) -> None:
    """Muestra una empresa (por slug o id) y sus claves, sin secretos."""

    async def work(pool: asyncpg.Pool, box: SecretBox) -> dict[str, Any] | None:
        tenant = await TenantRepository(pool, box, _simulator_url()).get_by_ref(ref)
        if tenant is None:
            return None
        keys = await ApiKeyRepository(pool).list_for_tenant(tenant.id)
        return dict(tenant.public_view(), apiKeys=[k.public_view() for k in keys])

    found = _run(work)
    if found is None:
        _fail([ValidationIssue("EMPRESA_NO_ENCONTRADA", "ref", f"No existe la empresa {ref}")], 1)
    _echo(found)


@tenant_group.command(name="set-certificate")
@click.argument("ref")
@click.argument("certificate", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--certificate-password", envvar="SIFENFLOW_CERT_PASSWORD", help="Contraseña del .p12")
def set_certificate(ref: str, certificate: Path, certificate_password: str | None) -> None:
    """Reemplaza el certificado PKCS#12 de la empresa (el RUC debe coincidir)."""
    body = {
        "certificate": base64.b64encode(certificate.read_bytes()).decode("ascii"),
        "certificatePassword": certificate_password,
    }

    async def work(pool: asyncpg.Pool, box: SecretBox) -> dict[str, Any] | list[ValidationIssue] | None:
        tenants = TenantRepository(pool, box, _simulator_url())
        tenant = await tenants.get_by_ref(ref)
        if tenant is None:
            return None
        parsed, issues = parse_certificate_input(body, tenant.ruc)
        if parsed is None:
            return issues
        return (await tenants.replace_certificate(tenant.id, *parsed)).public_view()

    result = _run(work)
    if result is None:
        _fail([ValidationIssue("EMPRESA_NO_ENCONTRADA", "ref", f"No existe la empresa {ref}")], 1)
    if isinstance(result, list):
        _fail(result)
    _echo(result)


@tenant_group.command(name="set-mail")
@click.argument("ref")
@click.option("--smtp-host", help="Servidor SMTP")
@click.option("--smtp-port", type=int, default=587, show_default=True)
@click.option("--smtp-security", type=click.Choice(["none", "starttls", "tls"]), default="starttls")
@click.option("--smtp-user", help="Usuario SMTP")
@click.option("--smtp-password", envvar="SIFENFLOW_SMTP_PASSWORD", help="Contraseña SMTP (se guarda cifrada)")
@click.option("--from", "sender", help="Dirección del remitente")
@click.option("--from-name", help="Nombre del remitente")
@click.option("--no-smtp", is_flag=True, help="Quita la configuración SMTP (no se envían correos)")
@click.option("--eager-pdf/--lazy-pdf", default=None, help="KuDE al aprobarse (eager) o al pedirse (lazy)")
def set_mail(
    ref: str,
    smtp_host: str | None,
    smtp_port: int,
    smtp_security: str,
    smtp_user: str | None,
    smtp_password: str | None,
    sender: str | None,
    from_name: str | None,
    no_smtp: bool,
    eager_pdf: bool | None,
) -> None:
    """Configura el correo (SMTP) de la empresa y si el KuDE se genera al aprobarse."""
    body: dict[str, Any] = {}
    if no_smtp:
        body["smtp"] = None
    elif smtp_host is not None or sender is not None:
        smtp: dict[str, Any] = {
            "host": smtp_host,
            "port": smtp_port,
            "security": smtp_security,
            "user": smtp_user,
            "from": sender,
            "fromName": from_name,
        }
        if smtp_password is not None:
            smtp["password"] = smtp_password
        body["smtp"] = smtp
    if eager_pdf is not None:
        body["kudeEager"] = eager_pdf
    data, issues = parse_mail_input(body)
    if data is None:
        _fail(issues)

    async def work(pool: asyncpg.Pool, box: SecretBox) -> dict[str, Any] | None:
        tenant = await TenantRepository(pool, box, _simulator_url()).get_by_ref(ref)
        if tenant is None:
            return None
        updated = await TenantMailRepository(pool, box).update(tenant.id, data)
        return updated.public_view() if updated else None

    result = _run(work)
    if result is None:
        _fail([ValidationIssue("EMPRESA_NO_ENCONTRADA", "ref", f"No existe la empresa {ref}")], 1)
    _echo(result)


@click.group(name="apikey")
def apikey_group() -> None:
    """Claves API por empresa (roles admin, emisor, contador; lectura = contador)."""


@apikey_group.command(name="create")
@click.option("--tenant", "tenant_ref", required=True, help="slug o id de la empresa")
@click.option(
    "--role",
    type=click.Choice([*(r.value for r in Role), "lectura"]),
    default=Role.EMISOR.value,
    show_default=True,
)
@click.option("--label", default="", help="Nombre descriptivo")
def create_key(tenant_ref: str, role: str, label: str) -> None:
    """Crea una clave; el token se muestra una sola vez."""

    async def work(pool: asyncpg.Pool, box: SecretBox) -> dict[str, Any] | None:
        tenant = await TenantRepository(pool, box, _simulator_url()).get_by_ref(tenant_ref)
        if tenant is None:
            return None
        record, token = await ApiKeyRepository(pool).create(tenant.id, Role(role), label)
        return dict(record.public_view(), token=token)

    created = _run(work)
    if created is None:
        _fail([ValidationIssue("EMPRESA_NO_ENCONTRADA", "tenant", f"No existe la empresa {tenant_ref}")], 1)
    _echo(created)


@apikey_group.command(name="revoke")
@click.argument("key_id")
def revoke_key(key_id: str) -> None:
    """Revoca una clave (por su id)."""
    try:
        parsed = uuid.UUID(key_id)
    except ValueError:
        _fail([ValidationIssue("ID_INVALIDO", "key_id", "El id de la clave debe ser un UUID")])

    async def work(pool: asyncpg.Pool, box: SecretBox) -> dict[str, Any] | None:
        record = await ApiKeyRepository(pool).revoke(parsed)
        return record.public_view() if record else None

    revoked = _run(work)
    if revoked is None:
        _fail([ValidationIssue("CLAVE_NO_ENCONTRADA", "key_id", f"No existe la clave {key_id}")], 1)
    _echo(revoked)


commands = [tenant_group, apikey_group]
