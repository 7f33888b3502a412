"""The common path of every create endpoint: validate → accept → wait (sync) → answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from sifenflow_common.errors import ValidationIssue
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway import acceptance
from sifenflow_gateway.correlation import correlation_id
from sifenflow_gateway.deps import GatewayDeps
from sifenflow_gateway.errors import ApiError
from sifenflow_gateway.keys import DEPS, METRICS, SETTINGS
from sifenflow_gateway.model import (
    CdcInUseError,
    DocumentStatus,
    IdempotencyKeyReusedError,
    IntakeResult,
    NumberReusedError,
)
from sifenflow_gateway.normalize import content_hash
from sifenflow_gateway.requests import idempotency_key
from sifenflow_gateway.responses import ids


@dataclass(frozen=True, slots=True)
class Emitted:
    result: IntakeResult
    statuses: dict[Any, DocumentStatus]
    warnings: list[dict[str, Any]]  # what was ignored or corrected, as {code, path, message}


def require_certificate(tenant: Tenant, now: datetime) -> None:
    """A company that cannot sign cannot emit: refused before any number is used (the signer would
    fail after numbering, leaving a number to inutilize and an answer that looked like success)."""
    if not tenant.has_certificate:
        raise ApiError(
            409,
            "CERTIFICADO_FALTANTE",
            f"La empresa {tenant.slug} no tiene certificado activo: cargue un certificado .p12 válido",
            path="tenant.certificate",
        )
    not_after = tenant.certificate_not_after
    if not_after is not None and not_after <= now:
        raise ApiError(
            409,
            "CERTIFICADO_VENCIDO",
            f"El certificado de la empresa {tenant.slug} venció el {not_after.date().isoformat()}",
            path="tenant.certificate",
        )


def warnings_of(warnings: list[tuple[int, ValidationIssue]], *, indexed: bool) -> list[dict[str, Any]]:
    return [dict(w.as_dict(), index=n) if indexed else w.as_dict() for n, w in warnings]


def issues_error(issues: list[tuple[int, ValidationIssue]], *, indexed: bool, limit: int) -> ApiError:
    items = [dict(i.as_dict(), index=n) if indexed else i.as_dict() for n, i in issues]
    text = "; ".join(f"{i.message} ({i.path})" for _, i in issues[:limit])
    if indexed:
        text = "; ".join(f"[{n}] {i.message} ({i.path})" for n, i in issues[:limit])
    return ApiError(400, issues[0][1].code, text, issues=items)


async def emit(
    request: web.Request,
    tenant: Tenant,
    bodies: list[Any],
    *,
    sync: bool,
    draft: bool = False,
    recibo: bool = False,
    want_artifacts: bool = False,
    indexed: bool = True,
    hash_extra: str = "",
) -> Emitted:
    deps: GatewayDeps = request.app[DEPS]
    settings = request.app[SETTINGS]
    require_certificate(tenant, deps.clock())
    prepared = acceptance.prepare(deps, tenant, bodies, recibo=recibo)
    if prepared.issues:
        raise issues_error(prepared.issues, indexed=indexed, limit=settings.error_limit)
    key = idempotency_key(request)
    request_hash = content_hash(
        {"path": request.path, "q": hash_extra, "bodies": [p.content_hash for p in prepared.pending]}
    )
    try:
        result = await acceptance.accept(
            deps,
            tenant,
            prepared.pending,
            idem_key=key,
            request_hash=request_hash,
            draft=draft,
            sync=sync,
            correlation_id=correlation_id(request),
        )
    except CdcInUseError as exc:
        raise ApiError(
            409,
            "CDC_YA_UTILIZADO",
            f"El CDC {exc.cdc} ya corresponde a otro documento; no se numeró ni se generó este documento",
            path="data" if not indexed else f"[{exc.index}]",
        ) from exc
    except NumberReusedError as exc:
        path = "data.numero" if not indexed else f"[{exc.index}].numero"
        raise ApiError(
            409,
            "NUMERO_YA_UTILIZADO",
            f"El número {exc.numero:07d} ya fue utilizado por otro documento de esta serie",
            path=path,
        ) from exc
    except IdempotencyKeyReusedError as exc:
        raise ApiError(
            422,
            "IDEMPOTENCY_KEY_REUTILIZADA",
            "La Idempotency-Key ya se usó con otra solicitud distinta",
            path="headers.Idempotency-Key",
        ) from exc
    if not result.replayed:
        for doc in result.documents:
            request.app[METRICS].documents.labels(str(doc.tipo_documento)).inc()
    doc_ids = ids(result.documents)
    if draft:
        statuses: dict[Any, DocumentStatus] = {}
    elif sync:
        statuses = dict(await deps.status.wait_final(tenant.id, doc_ids, settings.sync_wait_seconds))
    elif want_artifacts:
        statuses = dict(await deps.status.wait_signed(tenant.id, doc_ids, settings.artifact_wait_seconds))
    else:
        statuses = dict(await deps.status.statuses(tenant.id, doc_ids))
    return Emitted(result=result, statuses=statuses, warnings=warnings_of(prepared.warnings, indexed=indexed))
