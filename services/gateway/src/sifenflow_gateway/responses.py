"""FacturaSend response shapes: deList entries and the envelope (top level plus `result` mirror)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway.deps import GatewayDeps
from sifenflow_gateway.model import DISCARDED_LABEL, SITUACION_LABELS, AcceptedDocument, DocumentStatus

RECIBO_TIPO = 55


def situacion_of(doc: AcceptedDocument, status: DocumentStatus | None) -> int:
    """A recibo digital is Aprobado from acceptance on (facturasend-api §2.4; the pipeline signs it
    without sending it to SIFEN) unless its build or signature failed."""
    in_process = status is None or (status.situacion == 0 and not status.respuesta_codigo)
    if doc.tipo_documento == RECIBO_TIPO and doc.situacion == 2 and in_process:
        return 2
    return status.situacion if status is not None else doc.situacion


def estado_of(doc: AcceptedDocument, situacion: int) -> str:
    """The `estado` label; a draft whose lote was rejected reads Descartado, not Borrador."""
    if doc.is_borrado and situacion == -1:
        return DISCARDED_LABEL
    return SITUACION_LABELS.get(situacion, str(situacion))


def de_entry(
    deps: GatewayDeps,
    tenant: Tenant,
    doc: AcceptedDocument,
    status: DocumentStatus | None,
    *,
    xml: bool = False,
    qr: bool = False,
    tax: bool = False,
) -> dict[str, Any]:
    situacion = situacion_of(doc, status)
    entry: dict[str, Any] = {
        "id": doc.id,
        "cdc": doc.cdc,
        "numero": doc.numero_text,
        "estado": estado_of(doc, situacion),
        "situacion": situacion,
        "respuesta_codigo": status.respuesta_codigo if status else None,
        "respuesta_mensaje": status.respuesta_mensaje if status else None,
    }
    if xml:
        entry["xml"] = status.xml if status else None
    if qr:
        entry["qr"] = status.qr if status else None
    if tax:
        entry.update(deps.engine.tax_totals(tenant.params, doc.data))
    return entry


def envelope(
    de_list: list[dict[str, Any]], lote_id: int | None, warnings: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """``warnings`` (present only when something sent was ignored or corrected) sits next to
    ``deList``, at the top level and in ``result``."""
    body: dict[str, Any] = {"success": True, "deList": de_list}
    result: dict[str, Any] = {"deList": de_list}
    if lote_id is not None:
        body["loteId"] = lote_id
        result["loteId"] = lote_id
    if warnings:
        body["warnings"] = warnings
        result["warnings"] = warnings
    body["result"] = result
    return body


def ids(docs: Sequence[AcceptedDocument]) -> list[uuid.UUID]:
    return [d.document_id for d in docs]
