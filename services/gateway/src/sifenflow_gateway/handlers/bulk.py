"""Bulk ingestion: NDJSON of up to 10,000 documents → 202 + batch id; a background task splits the
valid documents into lotes of ≤50 of one type and accepts them, recording each line's outcome; GET
reports progress and pages through the lines."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import Any

import structlog
from aiohttp import web

from sifenflow_common import jsonin
from sifenflow_common.tenants.model import Tenant
from sifenflow_gateway import acceptance
from sifenflow_gateway.auth import tenant_principal
from sifenflow_gateway.deps import GatewayDeps
from sifenflow_gateway.emission import require_certificate
from sifenflow_gateway.errors import ApiError, json_response
from sifenflow_gateway.keys import BACKGROUND, DEPS, SETTINGS
from sifenflow_gateway.model import (
    AcceptedDocument,
    BulkBatch,
    BulkCounts,
    BulkLine,
    DocumentContentError,
    IdempotencyKeyReusedError,
    NumberReusedError,
    PendingDocument,
)
from sifenflow_gateway.normalize import content_hash
from sifenflow_gateway.requests import check_charset, idempotency_key, read_bytes
from sifenflow_gateway.times import py_time

log = structlog.get_logger("sifenflow.gateway.bulk")
MAX_ERRORS_KEPT = 1000  # errors and warnings each


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


def _failed(line: int, errors: list[dict[str, Any]]) -> BulkLine:
    return BulkLine(line=line, estado="fallido", errors=[dict(e, line=line) for e in errors])


def _accepted(line: int, doc: AcceptedDocument) -> BulkLine:
    return BulkLine(
        line=line,
        estado="aceptado",
        document_id=doc.id,
        lote_id=doc.lote_id,
        cdc=doc.cdc,
        numero=doc.numero_text,
    )


def _error(code: str, path: str, message: str) -> dict[str, Any]:
    return {"code": code, "path": path, "message": message}


async def _accept_lines(
    deps: GatewayDeps, tenant: Tenant, key: str, chunk: list[tuple[int, PendingDocument]]
) -> list[BulkLine]:
    """The outcome of each line of one lote. A document whose given number is taken by another one
    fails and the lote is accepted without it; a lote the database refuses for a value of one of its
    documents is accepted line by line (key ``<key>:<line>``), so only that line fails."""
    out: list[BulkLine] = []
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
            message = f"El número {exc.numero:07d} ya fue utilizado por otro documento"
            out.append(_failed(line, [_error("NUMERO_YA_UTILIZADO", "data.numero", message)]))
            chunk = chunk[: exc.index] + chunk[exc.index + 1 :]
            continue
        except DocumentContentError as exc:
            if len(chunk) > 1:
                for line, pending in chunk:
                    out.extend(await _accept_lines(deps, tenant, f"{key}:{line}", [(line, pending)]))
                return out
            log.warning("bulk_line_refused", line=chunk[0][0], error=str(exc)[:300])
            message = "El documento contiene un valor que no se puede almacenar (NaN, Infinity o similar)"
            out.append(_failed(chunk[0][0], [_error("VALOR_NO_ADMITIDO", "data", message)]))
            return out
        except IdempotencyKeyReusedError:  # cannot happen for a deterministic NDJSON; be explicit
            error = _error("IDEMPOTENCY_KEY_REUTILIZADA", "$", "lote alterado")
            out.extend(_failed(line, [error]) for line, _ in chunk)
            return out
        out.extend(_accepted(line, d) for (line, _), d in zip(chunk, result.documents, strict=True))
        return out
    return out


def _prepare_line(
    deps: GatewayDeps, tenant: Tenant, line: int, body: Any
) -> tuple[PendingDocument, list[dict[str, Any]]] | BulkLine:
    """The line ready to accept with what the tolerance policy ignored in it, or its failure."""
    try:
        prepared = acceptance.prepare(deps, tenant, [body])
    except Exception:  # a line that breaks validation fails alone; the batch goes on
        log.exception("bulk_line_unprepared", line=line)
        return _failed(line, [_error("DOCUMENTO_INVALIDO", "data", "El documento no se pudo validar")])
    if prepared.issues:
        return _failed(line, [i.as_dict() for _, i in prepared.issues])
    return prepared.pending[0], [dict(w.as_dict(), line=line) for _, w in prepared.warnings]


def _with_counts(
    batch: BulkBatch, counts: BulkCounts, errors: list[dict[str, Any]], warnings: list[dict[str, Any]]
) -> BulkBatch:
    return replace(
        batch,
        accepted=counts.accepted,
        failed=counts.failed,
        lote_ids=counts.lote_ids,
        errors=errors[:MAX_ERRORS_KEPT],
        warnings=warnings[:MAX_ERRORS_KEPT],
    )


async def process_batch(
    deps: GatewayDeps,
    tenant: Tenant,
    batch: BulkBatch,
    docs: list[tuple[int, Any]],
    line_errors: list[dict[str, Any]],
    lote_size: int,
) -> BulkBatch:
    """Validates and accepts the batch lote by lote, recording every line's outcome as it happens
    (the batch counters are the sum of the recorded lines). Lines already recorded are skipped, and
    each lote carries the Idempotency-Key ``bulk:<batch>:<n>``, so running it again (after a restart
    or an outage) goes on where it stopped and never accepts a document twice."""
    recorded = await deps.intake.bulk_lines(batch.id, limit=max(batch.total, 1))
    done = {x.line for x in recorded}
    errors = [e for x in recorded for e in x.errors]
    warnings = list(batch.warnings)  # of the lines accepted before a restart
    unparsed: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for error in line_errors:
        if error["line"] not in done:
            unparsed[error["line"]].append({k: v for k, v in error.items() if k != "line"})
    fresh = [_failed(line, errs) for line, errs in unparsed.items()]
    errors.extend(e for x in fresh for e in x.errors)
    counts = await deps.intake.record_bulk_lines(batch.id, fresh)
    batch = _with_counts(replace(batch, status="procesando"), counts, errors, warnings)
    await deps.intake.save_bulk(batch)
    try:
        require_certificate(tenant, deps.clock())  # checked again: a resumed batch's tenant may have changed
    except ApiError as err:
        refused = [_failed(line, [err.issues[0]]) for line, _ in docs if line not in done]
        counts = await deps.intake.record_bulk_lines(batch.id, refused)
        errors.extend(e for x in refused for e in x.errors)
        docs = []
        batch = _with_counts(batch, counts, errors, warnings)
    for n, raw_chunk in enumerate(chunks_by_type(docs, lote_size)):
        if all(line in done for line, _ in raw_chunk):
            continue
        outcomes: list[BulkLine] = []
        valid: list[tuple[int, PendingDocument]] = []
        noted: dict[int, list[dict[str, Any]]] = {}  # line -> what the tolerance policy ignored
        for line, body in raw_chunk:
            prepared = _prepare_line(deps, tenant, line, body)
            if isinstance(prepared, BulkLine):
                outcomes.append(prepared)
            else:
                valid.append((line, prepared[0]))
                noted[line] = prepared[1]
        if valid:
            outcomes.extend(await _accept_lines(deps, tenant, f"bulk:{batch.id}:{n}", valid))
        counts = await deps.intake.record_bulk_lines(batch.id, outcomes)
        ordered = sorted(outcomes, key=lambda x: x.line)
        errors.extend(e for x in ordered for e in x.errors)
        warnings.extend(w for x in ordered if x.estado == "aceptado" for w in noted.get(x.line, ()))
        batch = _with_counts(batch, counts, errors, warnings)
        await deps.intake.save_bulk(batch)
        await asyncio.sleep(0)  # let requests in between lotes
    batch = replace(batch, status="completado", finished_at=deps.clock())
    await deps.intake.save_bulk(batch)
    if deps.lifecycle is not None:  # bulk.completed for webhooks (docs/webhooks.md)
        await deps.lifecycle.events.bulk_completed(
            batch.tenant_id, batch.id, batch.total, batch.accepted, batch.failed
        )
    return batch


RETRY_MAX_S = 30.0


async def _run(app: web.Application, job: Callable[[], Awaitable[BulkBatch]], batch_id: uuid.UUID) -> None:
    """Runs the batch to its end. A failure here is the infrastructure (a line's own failure is
    recorded on the line): the batch stays ``procesando`` and is run again after a pause, going on
    from its recorded lines."""
    delay = 1.0
    while True:
        try:
            await job()
            return
        except Exception:
            log.exception("bulk_interrupted", batch_id=str(batch_id), retry_in_s=delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, RETRY_MAX_S)


def _spawn(app: web.Application, job: Callable[[], Awaitable[BulkBatch]], batch_id: uuid.UUID) -> None:
    task = asyncio.create_task(_run(app, job, batch_id))
    app[BACKGROUND].add(task)
    task.add_done_callback(app[BACKGROUND].discard)


async def resume_unfinished(app: web.Application) -> int:
    """At startup: batches left `recibido`/`procesando` by a stopped gateway go on from their stored
    NDJSON and their recorded lines (lotes accepted before the stop are answered by their key)."""
    deps: GatewayDeps = app[DEPS]
    settings = app[SETTINGS]
    resumed = 0
    for batch in await deps.intake.unfinished_bulks():
        tenant = await deps.directory.get_tenant(str(batch.tenant_id))
        if tenant is None or batch.source_sha256 is None:
            continue
        raw = await deps.intake.source(batch.source_sha256)
        docs, line_errors = parse_ndjson(raw, max(batch.total, 1))
        job = partial(process_batch, deps, tenant, batch, docs, line_errors, settings.max_lote_documents)
        _spawn(app, job, batch.id)
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
        "warnings": batch.warnings,
        "createdAt": py_time(batch.created_at),
        "finishedAt": py_time(batch.finished_at),
    }


async def bulk_create(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    settings = request.app[SETTINGS]
    deps = request.app[DEPS]
    tenant = principal.tenant
    require_certificate(tenant, deps.clock())
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
        created_at=deps.clock(),
        source_sha256=source,
    )
    await deps.intake.save_bulk(batch)
    job = partial(process_batch, deps, tenant, batch, docs, line_errors, settings.max_lote_documents)
    _spawn(request.app, job, batch.id)
    view = batch_view(batch)
    return json_response({"success": True, **view, "result": view}, 202)


async def _batch(request: web.Request) -> BulkBatch:
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
    return batch


async def bulk_status(request: web.Request) -> web.Response:
    view = batch_view(await _batch(request))
    return json_response({"success": True, **view, "result": view})


LINE_STATES = ("aceptado", "fallido")
MAX_LINES_PAGE = 1000


def _int_query(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        message = f"El parámetro {name} debe ser un entero entre {low} y {high}"
        raise ApiError(400, "PARAMETRO_INVALIDO", message, path=f"query.{name}")
    return int(raw)


def line_view(line: BulkLine) -> dict[str, Any]:
    return {
        "line": line.line,
        "estado": line.estado,
        "id": line.document_id,
        "loteId": line.lote_id,
        "cdc": line.cdc,
        "numero": line.numero,
        "errors": [{k: v for k, v in e.items() if k != "line"} for e in line.errors],
    }


async def bulk_lines(request: web.Request) -> web.Response:
    """Per-line outcomes in line order, ``limit`` at a time; ``nextCursor`` (or null at the end) is
    passed back as ``cursor`` for the next page."""
    batch = await _batch(request)
    estado = request.query.get("estado") or None
    if estado is not None and estado not in LINE_STATES:
        message = "El parámetro estado debe ser aceptado o fallido"
        raise ApiError(400, "PARAMETRO_INVALIDO", message, path="query.estado")
    limit = _int_query(request, "limit", 100, 1, MAX_LINES_PAGE)
    cursor = _int_query(request, "cursor", 0, 0, 2**31 - 1)
    lines = await request.app[DEPS].intake.bulk_lines(batch.id, estado=estado, after=cursor, limit=limit + 1)
    page = lines[:limit]
    view = {
        "batchId": str(batch.id),
        "status": batch.status,
        "lines": [line_view(x) for x in page],
        "nextCursor": str(page[-1].line) if len(lines) > limit else None,
    }
    return json_response({"success": True, **view, "result": view})
