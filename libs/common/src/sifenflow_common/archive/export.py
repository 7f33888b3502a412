"""Export the legal record of the documents accepted between two dates (Paraguay time) to a folder.

Per document ``<tenant slug>/<CDC>/``: ``signed.xml`` (the signed rDE as sent), every other artifact
its events name (the request JSON, SIFEN's SOAP request and answer of a sync reception, event
exchanges, the KuDE PDF) as ``NN-<event type>-<field>.<ext>``, and ``events.json`` (its events,
with SIFEN's codes, messages and protocol numbers). Per lote ``<tenant slug>/lotes/<lote id>/``: the
lote's request, SIFEN's receipt and every poll answer, and its ``events.json``. At the root,
``archive.json`` (what was asked, the documents and their lotes) and ``MANIFEST.sha256``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from sifenflow_common.archive.manifest import write_manifest
from sifenflow_common.artifacts import MEDIA_JSON, MEDIA_PDF, MEDIA_XML
from sifenflow_common.messages.envelope import document_stream

PARAGUAY = ZoneInfo("America/Asuncion")
ARCHIVE_FORMAT = 1
_LIFECYCLE_TYPES = ("sifen_event.requested", "event.accepted", "event.rejected")  # by CDC (0301 index)
_EXTENSIONS = {MEDIA_XML: "xml", MEDIA_JSON: "json", MEDIA_PDF: "pdf"}


class ArchiveError(RuntimeError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class ExportSummary:
    documents: int
    lotes: int
    files: int
    pending: int  # accepted in the period but not signed yet: nothing legal to keep so far


@dataclass(frozen=True, slots=True)
class _Event:
    stream: str
    version: int
    type: str
    recorded_at: datetime
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "version": self.version,
            "type": self.type,
            "recorded_at": self.recorded_at.isoformat(),
            "data": self.data,
        }


_DOCUMENTS = """
SELECT s.document_id, s.cdc, s.status, s.created_at, t.slug
FROM document_status s JOIN tenants t ON t.id = s.tenant_id
WHERE s.created_at >= $1 AND s.created_at < $2 AND ($3::uuid IS NULL OR s.tenant_id = $3)
ORDER BY t.slug, s.created_at, s.document_id
"""
_STREAM = """
SELECT stream_name, stream_version, type, recorded_at, data FROM events
WHERE stream_name = $1 ORDER BY stream_version
"""
_LIFECYCLE = """
SELECT stream_name, stream_version, type, recorded_at, data FROM events
WHERE data ->> 'cdc' = $1 AND type = ANY($2::text[]) ORDER BY global_position
"""
_LOTES = """
SELECT stream_name, data -> 'documents' AS documents FROM events
WHERE category = 'lote' AND type = 'lote.submission_started' AND recorded_at >= $1
"""
_ARTIFACTS = "SELECT sha256, media_type, bytes FROM artifacts WHERE sha256 = ANY($1::text[])"


def period(desde: date, hasta: date) -> tuple[datetime, datetime]:
    """[start of ``desde``, start of the day after ``hasta``) in Paraguay time."""
    if hasta < desde:
        raise ArchiveError("PERIODO_INVALIDO", f"--hasta ({hasta}) es anterior a --desde ({desde})")
    return (
        datetime.combine(desde, time(0), PARAGUAY),
        datetime.combine(hasta + timedelta(days=1), time(0), PARAGUAY),
    )


def _event(row: asyncpg.Record) -> _Event:
    data = row["data"]
    return _Event(
        row["stream_name"],
        int(row["stream_version"]),
        row["type"],
        row["recorded_at"],
        json.loads(data) if isinstance(data, str) else dict(data),
    )


def _references(events: Sequence[_Event]) -> list[tuple[int, _Event, str, str]]:
    """(position, event, field, sha256) of every artifact the events name."""
    found = []
    for n, event in enumerate(events, start=1):
        for name, value in event.data.items():
            if name.endswith("_sha256") and isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value):
                found.append((n, event, name.removesuffix("_sha256"), value))
    return found


class _Exporter:
    def __init__(self, pool: asyncpg.Pool, root: Path) -> None:
        self.pool = pool
        self.root = root

    async def _artifacts(self, keys: set[str], owner: str) -> dict[str, tuple[str, bytes]]:
        rows = await self.pool.fetch(_ARTIFACTS, sorted(keys))
        found = {r["sha256"]: (r["media_type"], bytes(r["bytes"])) for r in rows}
        missing = sorted(keys - found.keys())
        if missing:
            raise ArchiveError(
                "ARTEFACTO_FALTANTE",
                f"{owner}: falta el contenido {missing[0]} en la tabla artifacts (artifact missing)",
            )
        return found

    def write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    async def write_events(self, folder: Path, events: Sequence[_Event], owner: str) -> None:
        references = _references(events)
        blobs = await self._artifacts({sha for *_, sha in references}, owner)
        written: set[str] = set()
        for n, event, field, sha in references:
            if sha in written:
                continue  # the same bytes named again (e.g. the signed XML in the submission intent)
            written.add(sha)
            media, data = blobs[sha]
            if event.type == "document.signed" and field == "signed_xml":
                name = "signed.xml"
            else:
                name = f"{n:02d}-{event.type}-{field}.{_EXTENSIONS.get(media, 'bin')}"
            self.write(folder / name, data)
        body = json.dumps([e.as_json() for e in events], ensure_ascii=False, indent=2, default=str)
        self.write(folder / "events.json", body.encode("utf-8"))

    async def document_events(self, document_id: uuid.UUID, cdc: str) -> list[_Event]:
        own = [_event(r) for r in await self.pool.fetch(_STREAM, document_stream(document_id))]
        lifecycle = await self.pool.fetch(_LIFECYCLE, cdc, list(_LIFECYCLE_TYPES))
        return own + [_event(r) for r in lifecycle]

    async def lote_events(self, stream: str) -> list[_Event]:
        return [_event(r) for r in await self.pool.fetch(_STREAM, stream)]


async def _tenant_id(pool: asyncpg.Pool, tenant: str) -> uuid.UUID:
    row = await pool.fetchrow("SELECT id FROM tenants WHERE slug = $1 OR id::text = $1", tenant)
    if row is None:
        raise ArchiveError("EMPRESA_NO_ENCONTRADA", f"Empresa no encontrada: {tenant}")
    return uuid.UUID(str(row["id"]))


def _prepare(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ArchiveError("DIRECTORIO_NO_VACIO", f"{target} ya existe y no está vacío (target not empty)")
    target.mkdir(parents=True, exist_ok=True)


async def export_archive(
    pool: asyncpg.Pool, target: Path, desde: date, hasta: date, *, tenant: str | None = None
) -> ExportSummary:
    start, end = period(desde, hasta)
    tenant_id = await _tenant_id(pool, tenant) if tenant else None
    _prepare(target)
    exporter = _Exporter(pool, target)
    documents: list[dict[str, Any]] = []
    slug_of: dict[uuid.UUID, str] = {}
    pending = 0
    for row in await pool.fetch(_DOCUMENTS, start, end, tenant_id):
        document_id = uuid.UUID(str(row["document_id"]))
        events = await exporter.document_events(document_id, row["cdc"]) if row["cdc"] else []
        if not any(e.type == "document.signed" for e in events):
            pending += 1
            continue
        folder = target / row["slug"] / row["cdc"]
        await exporter.write_events(folder, events, f"documento {row['cdc']}")
        slug_of[document_id] = row["slug"]
        documents.append(
            {"tenant": row["slug"], "cdc": row["cdc"], "document_id": str(document_id),
             "status": row["status"], "accepted_at": row["created_at"].isoformat(), "lotes": []}
        )  # fmt: skip
    lotes = await _export_lotes(exporter, start, slug_of, documents)
    index = {
        "format": ARCHIVE_FORMAT,
        "desde": desde.isoformat(),
        "hasta": hasta.isoformat(),
        "timezone": str(PARAGUAY),
        "tenant": tenant,
        "generated_at": datetime.now(UTC).isoformat(),
        "documents": documents,
        "pending_unsigned": pending,
    }
    exporter.write(target / "archive.json", json.dumps(index, ensure_ascii=False, indent=2).encode())
    files = write_manifest(target)
    return ExportSummary(documents=len(documents), lotes=lotes, files=files, pending=pending)


async def _export_lotes(
    exporter: _Exporter, start: datetime, slug_of: dict[uuid.UUID, str], documents: list[dict[str, Any]]
) -> int:
    """Every lote that carried an exported document (a resent document has several)."""
    lotes_of: dict[str, list[str]] = defaultdict(list)
    slug_of_lote: dict[str, str] = {}
    for row in await exporter.pool.fetch(_LOTES, start):
        carried = json.loads(row["documents"]) if isinstance(row["documents"], str) else row["documents"]
        lote_id = row["stream_name"].removeprefix("lote-")
        for entry in carried:
            document_id = uuid.UUID(entry["document_id"])
            if document_id in slug_of:
                lotes_of[str(document_id)].append(lote_id)
                slug_of_lote[lote_id] = slug_of[document_id]
    for lote_id, slug in sorted(slug_of_lote.items()):
        events = await exporter.lote_events(f"lote-{lote_id}")
        await exporter.write_events(exporter.root / slug / "lotes" / lote_id, events, f"lote {lote_id}")
    for document in documents:
        document["lotes"] = sorted(set(lotes_of.get(document["document_id"], [])))
    return len(slug_of_lote)
