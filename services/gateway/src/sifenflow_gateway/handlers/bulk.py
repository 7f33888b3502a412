"""Bulk ingestion: NDJSON of up to 10,000 documents → 202 + batch id; a background task splits the
valid documents into lotes of ≤50 of one type and accepts them; GET reports progress."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import replace
from typing import Any

import structlog
from aiohttp import web

from sifenflow_common import jsonin
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway import acceptance
from sifenflow_gateway.auth import tenant_principal
from sifenflow_gateway.deps import GatewayDeps
from sifenflow_gateway.errors import ApiError, json_response
from sifenflow_gateway.keys import BACKGROUND, DEPS, SETTINGS
from sifenflow_gateway.model import BulkBatch, IdempotencyKeyReusedError, NumberReusedError, PendingDocument
from sifenflow_gateway.normalize import content_hash
from sifenflow_gateway.requests import check_charset, idempotency_key, read_bytes

log = structlog.get_logger("sifenflow.gateway.bulk")
MAX_ERRORS_KEPT = 1000


def parse_ndjson(raw: bytes, limit: int) -> tuple[list[tuple[int, Any]], list[dict[str, Any]]]:
    """((line number, document), line errors). Blank lines are ignored; lines are 1-based."""
    docs: list[tuple[int, Any]] = []
    errors: list[dict[str, Any]] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "JSON_INVALIDO", "El NDJSON debe estar en UTF-8") from exc
    # "\n" only: str.splitlines would also split inside strings holding U+2028 or U+0085
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            docs.append((number, jsonin.loads(line)))
        except jsonin.JsonInputError as exc:
            errors.append({"line": number, "code": "JSON_INVALIDO", "path": exc.path, "message": exc.message})
    if len(docs) + len(errors) > limit:
        raise ApiError(400, "BULK_DEMASIADO_GRANDE", f"Un envío masivo admite hasta {limit} documentos")
    if not docs and not errors:
        raise ApiError(400, "BULK_VACIO", "El NDJSON no contiene documentos")
    return docs, errors


def _raw_type(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("tipoDocumento", body.get("tipo_documento", "")))
    return ""


def chunks_by_type(docs: list[tuple[int, Any]], size: int) -> list[list[tuple[int, Any]]]:
    """Lines grouped by their tipoDocumento, in order, cut in lotes of `size`. Deterministic for the
    same NDJSON, so a resumed batch forms the same lotes (and so the same Idempotency-Keys)."""
    by_type: dict[str, list[tuple[int, Any]]] = defaultdict(list)
    for line, body in docs:
        by_type[_raw_type(body)].append((line, body))
    out: list[list[tuple[int, Any]]] = []
    for tipo in sorted(by_type):
        items = by_type[tipo]
        out.extend(items[i : i + size] for i in range(0, len(items), size))
    return out


async def _accept_chunk(
    deps: GatewayDeps, tenant: Tenant, key: str, chunk: list[tuple[int, PendingDocument]]
) -> tuple[list[int], list[dict[str, Any]], int | None]:
    """(lines accepted, errors, lote id). A document whose given number is taken by another one is
    reported and the lote accepted without it."""
    errors: list[dict[str, Any]] = []
    while chunk:
        try:
            result = await acceptance.accept(
                deps,
                tenant,
                [p for _, p in chunk],
                idem_key=key,
                request_hash=content_hash([p.content_hash for _, p in chunk]),
            )
        except NumberReusedError as exc:
            line = chunk[exc.index][0]
            errors.append(
                {
                    "line": line,
                    "code": "NUMERO_YA_UTILIZADO",
                    "path": "data.numero",
                    "message": f"El número {exc.numero:07d} ya fue utilizado por otro documento",
                }
            )
            chunk = chunk[: exc.index] + chunk[exc.index + 1 :]
            continue
        return [line for line, _ in chunk], errors, result.lote_id
    return [], errors, None


async def process_batch(
    deps: GatewayDeps,
    tenant: Tenant,
    batch: BulkBatch,
    docs: list[tuple[int, Any]],
    lote_size: int,
) -> BulkBatch:
    """Validates and accepts the batch lote by lote (yielding to the event loop in between). Each lote
    carries the Idempotency-Key `bulk:<batch>:<n>`, so running it again (after a restart) answers the
    lotes already accepted instead of duplicating them."""
    errors = list(batch.errors)
    batch = replace(batch, status="procesando")
    await deps.intake.save_bulk(batch)
    for n, raw_chunk in enumerate(chunks_by_type(docs, lote_size)):
        valid: list[tuple[int, PendingDocument]] = []
        for line, body in raw_chunk:
            prepared = acceptance.prepare(deps, tenant, [body])
            if prepared.issues:
                errors.extend(dict(i.as_dict(), line=line) for _, i in prepared.issues)
            else:
                valid.append((line, prepared.pending[0]))
        failed = len(raw_chunk) - len(valid)
        accepted: list[int] = []
        lote_id = None
        if valid:
            try:
                accepted, chunk_errors, lote_id = await _accept_chunk(
                    deps, tenant, f"bulk:{batch.id}:{n}", valid
                )
            except IdempotencyKeyReusedError:  # cannot happen for a deterministic NDJSON; be explicit
                chunk_errors = [
                    {
                        "line": line,
                        "code": "IDEMPOTENCY_KEY_REUTILIZADA",
                        "path": "$",
                        "message": "lote alterado",
                    }
                    for line, _ in valid
                ]
            errors.extend(chunk_errors)
            failed += len(valid) - len(accepted)
        batch = replace(
            batch,
            accepted=batch.accepted + len(accepted),
            failed=batch.failed + failed,
            errors=errors[:MAX_ERRORS_KEPT],
            lote_ids=[*batch.lote_ids, lote_id] if lote_id is not None else batch.lote_ids,
        )
        await deps.intake.save_bulk(batch)
        await asyncio.sleep(0)  # let requests in between lotes
    batch = replace(batch, status="completado", finished_at=deps.clock())
    await deps.intake.save_bulk(batch)
    if deps.lifecycle is not None:  # bulk.completed for webhooks (docs/webhooks.md)
        await deps.lifecycle.events.bulk_completed(
            batch.tenant_id, batch.id, batch.total, batch.accepted, batch.failed
        )
    return batch


async def _run(app: web.Application, coro: Any, batch: BulkBatch) -> None:
    try:
        await coro
    except Exception:
        log.exception("bulk_failed", batch_id=str(batch.id))
        await app[DEPS].intake.save_bulk(replace(batch, status="fallido", finished_at=app[DEPS].clock()))


def _spawn(app: web.Application, coro: Any, batch: BulkBatch) -> None:
    task = asyncio.create_task(_run(app, coro, batch))
    app[BACKGROUND].add(task)
    task.add_done_callback(app[BACKGROUND].discard)


async def resume_unfinished(app: web.Application) -> int:
    """At startup: batches left `recibido`/`procesando` by a stopped gateway are processed again from
    their stored NDJSON (lotes already accepted are answered by their Idempotency-Key)."""
    deps: GatewayDeps = app[DEPS]
    settings = app[SETTINGS]
    resumed = 0
    for batch in await deps.intake.unfinished_bulks():
        tenant = await deps.directory.get_tenant(str(batch.tenant_id))
        if tenant is None or batch.source_sha256 is None:
            continue
        raw = await deps.intake.source(batch.source_sha256)
        docs, line_errors = parse_ndjson(raw, max(batch.total, 1))
        fresh = replace(batch, accepted=0, failed=len(line_errors), errors=line_errors, lote_ids=[])
        _spawn(app, process_batch(deps, tenant, fresh, docs, settings.max_lote_documents), fresh)
        resumed += 1
    if resumed:
        log.info("bulk_resumed", batches=resumed)
    return resumed


def batch_view(batch: BulkBatch) -> dict[str, Any]:
    return {
        "batchId": str(batch.id),
        "status": batch.status,
        "total": batch.total,
        "accepted": batch.accepted,
        "failed": batch.failed,
        "pending": max(0, batch.total - batch.accepted - batch.failed),
        "loteIds": batch.lote_ids,
        "errors": batch.errors,
        "createdAt": batch.created_at.isoformat() if batch.created_at else None,
        "finishedAt": batch.finished_at.isoformat() if batch.finished_at else None,
    }


async def bulk_create(request: web.Request) -> web.Response:
    principal = await tenant_principal(request, emit=True)
    settings = request.app[SETTINGS]
    deps = request.app[DEPS]
    tenant = principal.tenant
    key = idempotency_key(request)
    batch_id = uuid.uuid5(tenant.id, f"bulk:{key}") if key else uuid.uuid4()
    if key is not None:
        existing = await deps.intake.bulk(tenant.id, batch_id)
        if existing is not None:
            return json_response(
                {"success": True, "result": batch_view(existing), **batch_view(existing)}, 202
            )
    check_charset(request)
    raw = await read_bytes(request, settings.max_bulk_bytes)
    docs, line_errors = parse_ndjson(raw, settings.max_bulk_documents)
    source = await deps.intake.put_source(raw)
    batch = BulkBatch(
        id=batch_id,
        tenant_id=tenant.id,
        status="recibido",
        total=len(docs) + len(line_errors),
        failed=len(line_errors),
        errors=line_errors,
        created_at=deps.clock(),
        source_sha256=source,
    )
    await deps.intake.save_bulk(batch)
    _spawn(request.app, process_batch(deps, tenant, batch, docs, settings.max_lote_documents), batch)
    view = batch_view(batch)
    return json_response({"success": True, **view, "result": view}, 202)


async def bulk_status(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    try:
        batch_id = uuid.UUID(request.match_info["batch_id"])
    except ValueError as exc:
        raise ApiError(
            404, "LOTE_MASIVO_NO_ENCONTRADO", "Envío masivo no encontrado", path="path.id"
        ) from exc
    batch = await request.app[DEPS].intake.bulk(principal.tenant.id, batch_id)
    if batch is None:
        raise ApiError(404, "LOTE_MASIVO_NO_ENCONTRADO", "Envío masivo no encontrado", path="path.id")
    view = batch_view(batch)
    return json_response({"success": True, **view, "result": view})
