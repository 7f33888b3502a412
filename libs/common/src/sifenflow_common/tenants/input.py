"""Validation of a new tenant (admin API and CLI share it). Every problem is a ValidationIssue."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.sifen.dv import dv11
from sifenflow_common.tenants.certificate import CertificateError, inspect_certificate
from sifenflow_common.tenants.model import Environment, Timbrado

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,62}$")
RUC_RE = re.compile(r"^(\d{1,8})-(\d)$")
CODE3_RE = re.compile(r"^\d{3}$")
# First path segments the gateway uses itself; a tenant slug cannot take them.
RESERVED_SLUGS = frozenset(
    {"admin", "invoicing", "system", "test", "docs", "openapi.json", "healthz", "metrics", "consola", "auth"}
)


@dataclass(frozen=True, slots=True)
class TenantInput:
    slug: str
    nombre: str
    environment: Environment
    params: dict[str, Any]
    timbrados: tuple[Timbrado, ...]
    puntos: dict[str, tuple[str, ...]]
    csc_id: str | None
    csc: str | None
    certificate_p12: bytes | None
    certificate_password: str | None
    smtp: dict[str, Any]
    webhook: dict[str, Any]


def _issue(code: str, path: str, message: str) -> ValidationIssue:
    return ValidationIssue(code=code, path=path, message=message)


def check_ruc(value: Any, path: str) -> list[ValidationIssue]:
    """RUC as `NNNNNNN-D` with a correct module-11 DV (MT v150 §10.1 / Anexo dígito verificador)."""
    if not isinstance(value, str) or not RUC_RE.match(value):
        msg = "El RUC debe tener el formato NNNNNNN-D (con dígito verificador)"
        return [_issue("RUC_INVALIDO", path, msg)]
    base, dv = value.split("-")
    if dv11(base) != int(dv):
        return [_issue("RUC_DV_INVALIDO", path, f"El dígito verificador del RUC {value} no es correcto")]
    return []


def _timbrado_fin(value: Any, params: Any, issues: list[ValidationIssue]) -> str | None:
    """Optional end of the current timbrado's validity (AAAA-MM-DD): documents dated after it are
    refused before numbering (SIFEN would reject them, MT v150 1101-1106)."""
    if value is None:
        return None
    try:
        fin = date.fromisoformat(str(value))
    except ValueError:
        issues.append(_issue("FECHA_INVALIDA", "timbradoFechaFin", "timbradoFechaFin debe ser AAAA-MM-DD"))
        return None
    try:
        inicio = date.fromisoformat(str(params.get("timbradoFecha", ""))[:10])
    except (ValueError, AttributeError):
        inicio = None  # reported by the params check
    if inicio is not None and fin < inicio:
        issues.append(
            _issue(
                "FECHA_INVALIDA", "timbradoFechaFin", "timbradoFechaFin es anterior a params.timbradoFecha"
            )
        )
        return None
    return fin.isoformat()


# Free-text fields of a tenant that no SIFEN field bounds (docs/gateway-api.md, limits).
TEXT_LIMITS = {"nombre": 255, "cscId": 4, "csc": 64, "certificatePassword": 1024}


def _text_limits(body: dict[str, Any]) -> list[ValidationIssue]:
    issues = []
    for key, limit in TEXT_LIMITS.items():
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)  # cscId 1 as FacturaSend integrators write it
        if not isinstance(value, str) or len(value) > limit:
            issues.append(_issue("LONGITUD_INVALIDA", key, f"{key}: texto de hasta {limit} caracteres"))
    return issues


def _check_params(params: Any) -> list[ValidationIssue]:
    if not isinstance(params, dict):
        return [_issue("CAMPO_INVALIDO", "params", "params debe ser un objeto")]
    issues = check_ruc(params.get("ruc"), "params.ruc")
    if not isinstance(params.get("razonSocial"), str) or not params["razonSocial"].strip():
        issues.append(_issue("CAMPO_REQUERIDO", "params.razonSocial", "La razón social es obligatoria"))
    if params.get("tipoContribuyente") not in (1, 2):
        issues.append(
            _issue("CAMPO_INVALIDO", "params.tipoContribuyente", "tipoContribuyente debe ser 1 o 2")
        )
    timbrado = params.get("timbradoNumero")
    if not isinstance(timbrado, str) or not re.fullmatch(r"\d{8}", timbrado):
        issues.append(
            _issue("TIMBRADO_INVALIDO", "params.timbradoNumero", "El timbrado debe tener 8 dígitos")
        )
    try:
        date.fromisoformat(str(params.get("timbradoFecha", ""))[:10])
    except ValueError:
        issues.append(
            _issue("FECHA_INVALIDA", "params.timbradoFecha", "timbradoFecha debe ser una fecha AAAA-MM-DD")
        )
    establecimientos = params.get("establecimientos")
    if not isinstance(establecimientos, list) or not establecimientos:
        issues.append(
            _issue("CAMPO_REQUERIDO", "params.establecimientos", "Debe indicar al menos un establecimiento")
        )
    else:
        for i, est in enumerate(establecimientos):
            codigo = est.get("codigo") if isinstance(est, dict) else None
            if not isinstance(codigo, str) or not CODE3_RE.match(codigo):
                issues.append(
                    _issue(
                        "CAMPO_INVALIDO",
                        f"params.establecimientos[{i}].codigo",
                        "El código de establecimiento debe tener 3 dígitos (ej. 001)",
                    )
                )
    acts = params.get("actividadesEconomicas")
    if not isinstance(acts, list) or not acts:
        issues.append(
            _issue(
                "CAMPO_REQUERIDO",
                "params.actividadesEconomicas",
                "Debe indicar al menos una actividad económica",
            )
        )
    return issues


def parse_certificate_input(
    body: Any, ruc: str
) -> tuple[tuple[bytes, str | None] | None, list[ValidationIssue]]:
    """A replacement certificate {certificate (base64), certificatePassword} for a tenant of `ruc`."""
    if not isinstance(body, dict) or body.get("certificate") in (None, ""):
        return None, [_issue("CAMPO_REQUERIDO", "certificate", "Indique el certificado PKCS#12 en base64")]
    p12, issues = _decode_certificate(body)
    if p12 is None:
        return None, issues
    password = body.get("certificatePassword")
    password = str(password) if password is not None else None
    try:
        if not inspect_certificate(p12, password).matches_ruc(ruc):
            return None, [
                _issue("CERTIFICADO_RUC_NO_COINCIDE", "certificate", f"El RUC del certificado no es {ruc}")
            ]
    except CertificateError as exc:
        return None, [_issue("CERTIFICADO_INVALIDO", "certificate", str(exc))]
    return (p12, password), []


def _decode_certificate(body: dict[str, Any]) -> tuple[bytes | None, list[ValidationIssue]]:
    raw = body.get("certificate")
    if raw in (None, ""):
        return None, []
    if not isinstance(raw, str):
        return None, [_issue("CAMPO_INVALIDO", "certificate", "El certificado debe ir en base64")]
    try:
        return base64.b64decode(raw, validate=True), []
    except (binascii.Error, ValueError):
        return None, [_issue("CERTIFICADO_INVALIDO", "certificate", "El certificado no es base64 válido")]


def parse_tenant_input(body: Any) -> tuple[TenantInput | None, list[ValidationIssue]]:
    """Checks a tenant definition; with a certificate, also that its RUC matches params.ruc."""
    if not isinstance(body, dict):
        return None, [_issue("JSON_INVALIDO", "$", "Se esperaba un objeto JSON")]
    issues: list[ValidationIssue] = []
    slug = body.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        issues.append(
            _issue("SLUG_INVALIDO", "slug", "slug: minúsculas, dígitos, '-' o '_' (2 a 63 caracteres)")
        )
    try:
        environment = Environment(body.get("environment", "simulado"))
    except ValueError:
        environment = Environment.SIMULADO
        issues.append(
            _issue("AMBIENTE_INVALIDO", "environment", "environment debe ser simulado, test o produccion")
        )
    params = body.get("params")
    issues.extend(_check_params(params))
    puntos_raw = body.get("puntos")
    puntos: dict[str, tuple[str, ...]] = {}
    if isinstance(params, dict) and isinstance(params.get("establecimientos"), list):
        for est in params["establecimientos"]:
            if isinstance(est, dict) and isinstance(est.get("codigo"), str):
                puntos[est["codigo"]] = ("001",)
    if puntos_raw is not None:
        if not isinstance(puntos_raw, dict):
            issues.append(_issue("CAMPO_INVALIDO", "puntos", "puntos debe ser {establecimiento: [puntos]}"))
        else:
            for est_code, values in puntos_raw.items():
                ok = isinstance(values, list) and all(
                    isinstance(v, str) and CODE3_RE.match(v) for v in values
                )
                if not ok or est_code not in puntos:
                    issues.append(
                        _issue(
                            "PUNTO_INVALIDO",
                            f"puntos.{est_code}",
                            "Los puntos deben ser códigos de 3 dígitos de un establecimiento declarado",
                        )
                    )
                else:
                    puntos[est_code] = tuple(values)
    csc_id, csc = body.get("cscId"), body.get("csc")
    if (csc_id is None) != (csc is None):
        issues.append(_issue("CSC_INCOMPLETO", "csc", "cscId y csc se indican juntos"))
    issues.extend(_text_limits(body))
    certificate, cert_issues = _decode_certificate(body)
    issues.extend(cert_issues)
    password = body.get("certificatePassword")
    if certificate is not None and isinstance(params, dict) and not cert_issues:
        try:
            info = inspect_certificate(certificate, password)
            if isinstance(params.get("ruc"), str) and not info.matches_ruc(params["ruc"]):
                issues.append(
                    _issue(
                        "CERTIFICADO_RUC_NO_COINCIDE",
                        "certificate",
                        f"El RUC del certificado no coincide con params.ruc ({params['ruc']})",
                    )
                )
        except CertificateError as exc:
            issues.append(_issue("CERTIFICADO_INVALIDO", "certificate", str(exc)))
    fecha_fin = _timbrado_fin(body.get("timbradoFechaFin"), params, issues)
    if issues or slug is None or not isinstance(params, dict):
        return None, issues
    timbrados = (
        Timbrado(
            numero=params["timbradoNumero"],
            fecha_inicio=str(params["timbradoFecha"])[:10],
            fecha_fin=fecha_fin,
        ),
    )
    return (
        TenantInput(
            slug=str(slug),
            nombre=str(body.get("nombre") or params.get("razonSocial")),
            environment=environment,
            params=params,
            timbrados=timbrados,
            puntos=puntos,
            csc_id=str(csc_id) if csc_id is not None else None,
            csc=str(csc) if csc is not None else None,
            certificate_p12=certificate,
            certificate_password=str(password) if password is not None else None,
            smtp=dict(body.get("smtp") or {}),
            webhook=dict(body.get("webhook") or {}),
        ),
        [],
    )
