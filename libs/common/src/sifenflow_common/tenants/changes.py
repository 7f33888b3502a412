"""Editing a company (``PATCH /admin/tenants/{t}``, ``PATCH /{t}/empresa``, ``sifenflow tenant update``).

``parse_tenant_patch(tenant, body)`` checks the body against the company as it is and returns the
complete new state (params, puntos, timbrados) plus the secrets to replace and a summary of what
changed for the company's history. The summary never carries a secret value: a rotated CSC shows
its id, a renewed certificate its expiry, SMTP its host and whether a password was given.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.tenants.input import CODE3_RE, parse_certificate_input
from sifenflow_common.tenants.logo import Logo, LogoError, parse_logo
from sifenflow_common.tenants.mail import MailInput, parse_mail_input
from sifenflow_common.tenants.model import Tenant, Timbrado

EDITABLE = frozenset(
    {
        "razonSocial", "nombreFantasia", "actividadesEconomicas", "establecimientos", "puntos",
        "timbrado", "cscId", "csc", "logo", "smtp", "certificate", "certificatePassword",
    }
)  # fmt: skip
CSC_RE = re.compile(r"^[A-Za-z0-9]{16,64}$")
_UNCHANGED = object()


@dataclass(frozen=True, slots=True)
class TenantPatch:
    params: dict[str, Any]
    puntos: dict[str, tuple[str, ...]]
    timbrados: tuple[Timbrado, ...]
    csc: tuple[str, str] | None = None  # (id, secret) to store
    logo: Logo | object | None = _UNCHANGED  # None removes it
    certificate: tuple[bytes, str | None] | None = None
    mail: MailInput | None = None
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def logo_changed(self) -> bool:
        return self.logo is not _UNCHANGED


def _issue(code: str, path: str, message: str) -> ValidationIssue:
    return ValidationIssue(code=code, path=path, message=message)


def _text(
    body: dict[str, Any], key: str, params: dict[str, Any], changes: list[dict[str, Any]]
) -> list[ValidationIssue]:
    if key not in body:
        return []
    value = body[key]
    if not isinstance(value, str) or not value.strip() or len(value) > 255:
        return [_issue("CAMPO_INVALIDO", key, f"{key} debe ser un texto de 1 a 255 caracteres")]
    if params.get(key) != value.strip():
        changes.append({"campo": key, "antes": params.get(key), "despues": value.strip()})
        params[key] = value.strip()
    return []


def _actividades(
    body: dict[str, Any], params: dict[str, Any], changes: list[dict[str, Any]]
) -> list[ValidationIssue]:
    if "actividadesEconomicas" not in body:
        return []
    acts = body["actividadesEconomicas"]
    ok = (
        isinstance(acts, list)
        and acts
        and all(
            isinstance(a, dict) and isinstance(a.get("codigo"), str) and isinstance(a.get("descripcion"), str)
            for a in acts
        )
    )
    if not ok:
        return [
            _issue(
                "CAMPO_INVALIDO",
                "actividadesEconomicas",
                "actividadesEconomicas: al menos una actividad {codigo, descripcion}",
            )
        ]
    if acts != params.get("actividadesEconomicas"):
        changes.append({"campo": "actividadesEconomicas", "despues": [a["codigo"] for a in acts]})
        params["actividadesEconomicas"] = acts
    return []


def _establecimientos(
    body: dict[str, Any],
    params: dict[str, Any],
    puntos: dict[str, tuple[str, ...]],
    changes: list[dict[str, Any]],
) -> list[ValidationIssue]:
    """Each item adds an establecimiento or edits the one with its ``codigo`` (fields merged);
    ``activo: false`` deactivates it (documents there are refused), ``activo: true`` reactivates."""
    if "establecimientos" not in body:
        return []
    items = body["establecimientos"]
    if not isinstance(items, list) or not items:
        return [_issue("CAMPO_INVALIDO", "establecimientos", "establecimientos debe ser una lista")]
    current = {str(e.get("codigo")): e for e in params.get("establecimientos", [])}
    issues: list[ValidationIssue] = []
    for i, item in enumerate(items):
        codigo = item.get("codigo") if isinstance(item, dict) else None
        if not isinstance(codigo, str) or not CODE3_RE.match(codigo):
            issues.append(
                _issue("CAMPO_INVALIDO", f"establecimientos[{i}].codigo", "El código debe tener 3 dígitos")
            )
            continue
        if "activo" in item and not isinstance(item["activo"], bool):
            issues.append(_issue("CAMPO_INVALIDO", f"establecimientos[{i}].activo", "activo es true o false"))
            continue
        if codigo in current:
            merged = dict(current[codigo], **item)
            if merged != current[codigo]:
                edited = sorted(k for k in item if current[codigo].get(k) != item[k])
                changes.append({"campo": "establecimientos", "accion": "editado", "codigo": codigo,
                                "campos": edited})  # fmt: skip
            current[codigo] = merged
        else:
            if not item.get("direccion"):
                issues.append(
                    _issue(
                        "CAMPO_REQUERIDO",
                        f"establecimientos[{i}].direccion",
                        "Un establecimiento nuevo necesita su dirección",
                    )
                )
                continue
            current[codigo] = dict(item)
            puntos.setdefault(codigo, ("001",))
            changes.append({"campo": "establecimientos", "accion": "agregado", "codigo": codigo})
    params["establecimientos"] = list(current.values())
    return issues


def _puntos(
    body: dict[str, Any],
    params: dict[str, Any],
    puntos: dict[str, tuple[str, ...]],
    changes: list[dict[str, Any]],
) -> list[ValidationIssue]:
    """``{establecimiento: [puntos]}``: the listed establecimientos get exactly these puntos."""
    if "puntos" not in body:
        return []
    raw = body["puntos"]
    if not isinstance(raw, dict):
        return [_issue("CAMPO_INVALIDO", "puntos", "puntos debe ser {establecimiento: [puntos]}")]
    known = {str(e.get("codigo")) for e in params.get("establecimientos", [])}
    issues: list[ValidationIssue] = []
    for est, values in raw.items():
        ok = (
            isinstance(values, list)
            and values
            and all(isinstance(v, str) and CODE3_RE.match(v) for v in values)
        )
        if not ok or est not in known:
            issues.append(
                _issue(
                    "PUNTO_INVALIDO",
                    f"puntos.{est}",
                    "Los puntos deben ser códigos de 3 dígitos de un establecimiento declarado",
                )
            )
            continue
        new = tuple(dict.fromkeys(values))
        if puntos.get(est) != new:
            changes.append({"campo": "puntos", "establecimiento": est, "antes": list(puntos.get(est, ())),
                            "despues": list(new)})  # fmt: skip
            puntos[est] = new
    return issues


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value is not None else None
    except ValueError:
        return None


def _timbrado(
    body: dict[str, Any],
    tenant: Tenant,
    params: dict[str, Any],
    timbrados: list[Timbrado],
    changes: list[dict[str, Any]],
    today: date,
) -> list[ValidationIssue]:
    """``timbrado: {numero, fechaInicio, fechaFin?}`` adds a timbrado (a renewal) or updates the dates
    of a known one; ``params`` then names the timbrado valid today."""
    if "timbrado" not in body:
        return []
    raw = body["timbrado"]
    if not isinstance(raw, dict):
        return [_issue("CAMPO_INVALIDO", "timbrado", "timbrado debe ser {numero, fechaInicio, fechaFin}")]
    numero, inicio, fin = raw.get("numero"), _date(raw.get("fechaInicio")), _date(raw.get("fechaFin"))
    issues = []
    if not isinstance(numero, str) or not re.fullmatch(r"\d{8}", numero):
        issues.append(_issue("TIMBRADO_INVALIDO", "timbrado.numero", "El timbrado debe tener 8 dígitos"))
    if inicio is None:
        issues.append(_issue("FECHA_INVALIDA", "timbrado.fechaInicio", "fechaInicio debe ser AAAA-MM-DD"))
    if raw.get("fechaFin") is not None and (fin is None or (inicio is not None and fin < inicio)):
        issues.append(
            _issue("FECHA_INVALIDA", "timbrado.fechaFin", "fechaFin debe ser AAAA-MM-DD, no antes del inicio")
        )
    if issues or inicio is None or not isinstance(numero, str):
        return issues
    entry = Timbrado(numero, inicio.isoformat(), fin.isoformat() if fin else None)
    known = [t for t in timbrados if t.numero != numero]
    timbrados[:] = [*known, entry]
    changes.append({"campo": "timbrado", "numero": numero, "fechaInicio": entry.fecha_inicio,
                    "fechaFin": entry.fecha_fin})  # fmt: skip
    current = replace(tenant, timbrados=tuple(timbrados)).timbrado_at(today)
    params["timbradoNumero"], params["timbradoFecha"] = current.numero, current.fecha_inicio
    if "timbradoFechaFin" in params or current.fecha_fin:
        params["timbradoFechaFin"] = current.fecha_fin
    return []


def _secrets(
    body: dict[str, Any], tenant: Tenant, changes: list[dict[str, Any]]
) -> tuple[tuple[str, str] | None, tuple[bytes, str | None] | None, list[ValidationIssue]]:
    issues: list[ValidationIssue] = []
    csc = None
    if "cscId" in body or "csc" in body:
        csc_id, secret = body.get("cscId"), body.get("csc")
        if not isinstance(csc_id, str) or not re.fullmatch(r"\d{1,4}", csc_id):
            issues.append(
                _issue("CSC_INVALIDO", "cscId", "cscId: el identificador del CSC (hasta 4 dígitos)")
            )
        elif not isinstance(secret, str) or not CSC_RE.match(secret):
            issues.append(
                _issue("CSC_INVALIDO", "csc", "csc: el código de seguridad (16 a 64 letras o dígitos)")
            )
        else:
            csc = (csc_id.zfill(4), secret)
            changes.append({"campo": "csc", "cscId": csc[0]})
    certificate = None
    if "certificate" in body:
        parsed, cert_issues = parse_certificate_input(body, tenant.ruc)
        issues.extend(cert_issues)
        if parsed is not None:
            certificate = parsed
            changes.append({"campo": "certificado"})
    return csc, certificate, issues


def parse_tenant_patch(
    tenant: Tenant, body: Any, *, today: date
) -> tuple[TenantPatch | None, list[ValidationIssue]]:
    if not isinstance(body, dict) or not body:
        return None, [_issue("JSON_INVALIDO", "$", "Se esperaba un objeto JSON con los campos a cambiar")]
    unknown = sorted(set(body) - EDITABLE)
    if unknown:
        return None, [
            _issue(
                "CAMPO_NO_EDITABLE",
                k,
                f"{k} no se puede cambiar aquí (campos: {', '.join(sorted(EDITABLE))})",
            )
            for k in unknown
        ]
    params = copy.deepcopy(tenant.params)
    puntos = dict(tenant.puntos)
    timbrados = list(tenant.timbrados)
    changes: list[dict[str, Any]] = []
    issues = _text(body, "razonSocial", params, changes) + _text(body, "nombreFantasia", params, changes)
    issues += _actividades(body, params, changes)
    issues += _establecimientos(body, params, puntos, changes)
    issues += _puntos(body, params, puntos, changes)
    issues += _timbrado(body, tenant, params, timbrados, changes, today)
    csc, certificate, secret_issues = _secrets(body, tenant, changes)
    issues += secret_issues
    logo: Logo | object | None = _UNCHANGED
    if "logo" in body and (body["logo"] is not None or tenant.logo_media_type is not None):
        try:
            logo = parse_logo(body["logo"]) if body["logo"] is not None else None
            changes.append({"campo": "logo", "tipo": logo.media_type if isinstance(logo, Logo) else None})
        except LogoError as exc:
            issues.append(exc.issue)
    mail = None
    if "smtp" in body:
        mail, mail_issues = parse_mail_input({"smtp": body["smtp"]})
        issues += mail_issues
        smtp = body["smtp"] if isinstance(body["smtp"], dict) else {}
        changes.append({"campo": "smtp", "host": smtp.get("host"), "conContrasena": "password" in smtp})
    if issues:
        return None, issues
    return TenantPatch(params, puntos, tuple(timbrados), csc, logo, certificate, mail, changes), []
