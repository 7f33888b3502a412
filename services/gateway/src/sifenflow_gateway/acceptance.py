"""Document acceptance: normalise, validate with the engine, then number + CDC + DocumentRequested
in one transaction (IntakeStore). Shared by de/create, lote/create, recibo, /invoicing and bulk."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.facturasend.tolerance import tolerate
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.deps import GatewayDeps
from sifenflow_gateway.model import IntakeRequest, IntakeResult, PendingDocument
from sifenflow_gateway.normalize import content_hash, normalize, security_code

PLACEHOLDER_NUMERO = 1  # lets the engine validate a document whose number is not allocated yet


@dataclass(frozen=True, slots=True)
class Prepared:
    pending: list[PendingDocument]
    issues: list[tuple[int, ValidationIssue]]  # (index in the request, issue)
    warnings: list[tuple[int, ValidationIssue]]  # (index, what was ignored or corrected)


def _code3(value: Any) -> str:
    text = str(value).strip()
    return text.zfill(3) if text.isdigit() else text


def _tenant_issues(tenant: Tenant, data: dict[str, Any]) -> list[ValidationIssue]:
    """What SIFEN would reject after the number is used (MT v150 1101-1106): an establecimiento or
    punto the company does not have, an emission date outside the current timbrado's validity."""
    issues = _timbrado_issues(tenant, data) if data.get("tipoDocumento") != 55 else []
    est, punto = data.get("establecimiento"), data.get("punto")
    if not est or not punto:
        return issues
    if est not in {_code3(c) for c in tenant.establecimiento_codes()}:
        return [
            *issues,
            ValidationIssue(
                "ESTABLECIMIENTO_NO_HABILITADO",
                "data.establecimiento",
                f"El establecimiento {est} no está configurado para {tenant.slug}",
            ),
        ]
    if punto not in {_code3(p) for p in tenant.puntos_of(est)}:
        return [
            *issues,
            ValidationIssue(
                "PUNTO_NO_HABILITADO",
                "data.punto",
                f"El punto de expedición {punto} no está habilitado en el establecimiento {est}",
            ),
        ]
    return issues


def _timbrado_issues(tenant: Tenant, data: dict[str, Any]) -> list[ValidationIssue]:
    try:
        emitted = date.fromisoformat(str(data.get("fecha", ""))[:10])
    except ValueError:
        return []  # the engine reports the date's format
    timbrado = tenant.timbrado_at(emitted)  # after a renewal, the one valid at the document's date
    numero = timbrado.numero
    if timbrado.fecha_inicio and emitted < date.fromisoformat(timbrado.fecha_inicio[:10]):
        return [
            ValidationIssue(
                "FECHA_ANTERIOR_TIMBRADO",
                "data.fecha",
                f"La fecha de emisión {emitted} es anterior al inicio del timbrado {numero} "
                f"({timbrado.fecha_inicio})",
            )
        ]
    if timbrado.fecha_fin and emitted > date.fromisoformat(timbrado.fecha_fin[:10]):
        return [
            ValidationIssue(
                "TIMBRADO_VENCIDO",
                "data.fecha",
                f"El timbrado {numero} venció el {timbrado.fecha_fin}: la fecha de emisión {emitted} "
                "está fuera de su vigencia (renueve el timbrado ante la DNIT)",
            )
        ]
    return []


def prepare(deps: GatewayDeps, tenant: Tenant, bodies: list[Any], *, recibo: bool = False) -> Prepared:
    now = deps.clock()
    pending: list[PendingDocument] = []
    issues: list[tuple[int, ValidationIssue]] = []
    warnings: list[tuple[int, ValidationIssue]] = []
    for index, body in enumerate(bodies):
        if not isinstance(body, dict):
            issues.append(
                (index, ValidationIssue("JSON_INVALIDO", "data", "Cada documento debe ser un objeto"))
            )
            continue
        tolerated = tolerate(dict(body, tipoDocumento=55) if recibo else body)
        data, numero, found = normalize(tolerated.data, now)
        if recibo:
            data["tipoDocumento"] = 55
        found.extend(_tenant_issues(tenant, data))
        # every problem at once: the engine's (recibos too) except on paths already reported
        probe = dict(data, numero=numero or PLACEHOLDER_NUMERO)
        seen = {i.path for i in found}
        found.extend(i for i in deps.engine.validate(tenant.params, probe) if i.path not in seen)
        if found:
            issues.extend((index, i) for i in found)
            continue
        warnings.extend((index, w) for w in tolerated.warnings)
        pending.append(
            PendingDocument(
                data=data,
                tipo_documento=int(data["tipoDocumento"]),
                establecimiento=data["establecimiento"],
                punto=data["punto"],
                numero=numero,
                content_hash=content_hash(body),
            )
        )
    return Prepared(pending=pending, issues=issues, warnings=warnings)


def finalizer(deps: GatewayDeps, tenant: Tenant) -> Any:
    def finalize(data: dict[str, Any]) -> str:
        if int(data["codigoSeguridadAleatorio"]) == int(data["numero"]):
            data["codigoSeguridadAleatorio"] = security_code(int(data["numero"]))  # MT v150 §10.3
        return deps.engine.cdc(tenant.params, data)

    return finalize


async def accept(
    deps: GatewayDeps,
    tenant: Tenant,
    pending: list[PendingDocument],
    *,
    idem_key: str | None,
    request_hash: str,
    draft: bool = False,
    sync: bool = False,
    correlation_id: uuid.UUID | None = None,
) -> IntakeResult:
    return await deps.intake.accept(
        IntakeRequest(
            tenant=tenant,
            documents=pending,
            finalize=finalizer(deps, tenant),
            idem_key=idem_key,
            request_hash=request_hash,
            draft=draft,
            sync=sync,
            correlation_id=correlation_id or uuid.uuid4(),
        )
    )
