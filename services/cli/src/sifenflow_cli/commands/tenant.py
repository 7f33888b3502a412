"""``sifenflow tenant create|show|update|history`` and ``sifenflow apikey create|revoke`` (straight
to DATABASE_URL; tenant secrets are sealed with MASTER_KEY).
Errors go to stderr as JSON {code, path, message}."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import asyncpg
import click

from sifenflow_common import jsonin
from sifenflow_common.crypto import SecretBox
from sifenflow_common.db.pool import pool_context
from sifenflow_common.errors import ValidationIssue
from sifenflow_common.runtime.settings import load_settings
from sifenflow_common.sifen.paraguay_time import paraguay_local
from sifenflow_common.sifen.test_ca import default_test_ca_dir
from sifenflow_common.tenants.company import CompanyAdmin, PatchRefused
from sifenflow_common.tenants.editing import TenantEditor
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
from sifenflow_common.tenants.simulado import SimulatorRegistrar

T = TypeVar("T")
_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
SIM_URL_DEFAULT = "http://127.0.0.1:8090"


def _simulator_url() -> str:
    """SIFEN URL of new ``simulado`` emisores: SIM_BASE_URL, as the gateway's admin API reads it."""
    return os.environ.get("SIM_BASE_URL") or SIM_URL_DEFAULT


def _company(pool: asyncpg.Pool, box: SecretBox) -> CompanyAdmin:
    """As the gateway's: simulator admin API at SIM_ADMIN_URL (default SIM_BASE_URL) with
    SIFEN_SIM_ADMIN_TOKEN; test certificates from $SIFENFLOW_TEST_CA_DIR."""
    registrar = SimulatorRegistrar(
        os.environ.get("SIM_ADMIN_URL") or _simulator_url(), os.environ.get("SIFEN_SIM_ADMIN_TOKEN") or None
    )
    tenants = TenantRepository(pool, box, _simulator_url())
    return CompanyAdmin(pool, tenants, TenantEditor(pool, box), registrar, default_test_ca_dir())


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
    """Crea una empresa desde un JSON {slug, environment, params, puntos, cscId, csc}. En simulado,
    sin certificado ni CSC, se emiten unos de prueba y se registra en el simulador."""
    try:
        body = jsonin.loads(definition.read_bytes())
    except jsonin.JsonInputError as exc:
        _fail([ValidationIssue("JSON_INVALIDO", exc.path, exc.message)])
    if isinstance(body, dict) and certificate is not None:
        body["certificate"] = base64.b64encode(certificate.read_bytes()).decode("ascii")
        body["certificatePassword"] = certificate_password
    data, issues = parse_tenant_input(body)
    if data is None:
        _fail(issues)

    async def work(pool: asyncpg.Pool, box: SecretBox) -> dict[str, Any]:
        tenant, sim_error = await _company(pool, box).create(data, actor="cli")
        out = tenant.public_view()
        if sim_error is not None:
            out["simulador"] = {"registrado": False, "error": sim_error}
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


@tenant_group.command(name="update")
@click.argument("ref")
@click.argument("changes", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option(
    "--logo", "logo_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="PNG o SVG"
)
@click.option(
    "--certificate",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Archivo .p12 renovado",
)
@click.option("--certificate-password", envvar="SIFENFLOW_CERT_PASSWORD", help="Contraseña del .p12")
def update_tenant(
    ref: str,
    changes: Path | None,
    logo_file: Path | None,
    certificate: Path | None,
    certificate_password: str | None,
) -> None:
    """Edita una empresa con un JSON de cambios (los campos de PATCH /admin/tenants/{t}, docs/tenants.md)."""
    body: Any = {}
    if changes is not None:
        try:
            body = json.loads(changes.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            _fail([ValidationIssue("JSON_INVALIDO", "$", f"JSON mal formado: {exc}")])
    if isinstance(body, dict) and logo_file is not None:
        body["logo"] = base64.b64encode(logo_file.read_bytes()).decode("ascii")
    if isinstance(body, dict) and certificate is not None:
        body["certificate"] = base64.b64encode(certificate.read_bytes()).decode("ascii")
        body["certificatePassword"] = certificate_password

    async def work(pool: asyncpg.Pool, box: SecretBox) -> dict[str, Any] | list[ValidationIssue] | None:
        company = _company(pool, box)
        tenant = await TenantRepository(pool, box, _simulator_url()).get_by_ref(ref)
        if tenant is None:
            return None
        today = paraguay_local(datetime.now(UTC)).date()
        try:
            updated, sim_error = await company.update(tenant, body, actor="cli", today=today)
        except PatchRefused as exc:
            return exc.issues
        out = updated.public_view()
        if sim_error is not None:
            out["simulador"] = {"registrado": False, "error": sim_error}
        return out

    result = _run(work)
    if result is None:
        _fail([ValidationIssue("EMPRESA_NO_ENCONTRADA", "ref", f"No existe la empresa {ref}")], 1)
    if isinstance(result, list):
        _fail(result)
    _echo(result)


@tenant_group.command(name="history")
@click.argument("ref")
def tenant_history(ref: str) -> None:
    """Historial de cambios de la empresa (quién, cuándo, qué; nunca secretos)."""

    async def work(pool: asyncpg.Pool, box: SecretBox) -> list[dict[str, Any]] | None:
        tenant = await TenantRepository(pool, box, _simulator_url()).get_by_ref(ref)
        return await _company(pool, box).history(tenant) if tenant is not None else None

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
