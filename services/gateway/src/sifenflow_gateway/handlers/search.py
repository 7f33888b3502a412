"""GET /{tenant}/de (search, keyset pages), /de.csv (every match, streamed) and /de.zip (the signed
XMLs, streamed). Any role may read; every query is scoped to the key's tenant."""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile
from typing import Any

import asyncpg
from aiohttp import web

from sifenflow_common.readmodel.reports import ESTADO_OF_SITUACION, number
from sifenflow_gateway import search_params
from sifenflow_gateway.adapters.search import SearchReadModel
from sifenflow_gateway.auth import tenant_principal
from sifenflow_gateway.errors import ApiError, json_response
from sifenflow_gateway.keys import DEPS
from sifenflow_gateway.times import py_datetime

CSV_HEADER = (
    "id", "cdc", "numero", "fecha", "tipoDocumento", "estado", "situacion", "ambiente", "receptorRuc",
    "receptorDocumento", "receptorRazonSocial", "moneda", "total", "gravado10", "iva10", "gravado5", "iva5",
    "exento", "codigoSifen",
)  # fmt: skip
CSV_FLUSH_ROWS = 500


def read_model(request: web.Request) -> SearchReadModel:
    found = request.app[DEPS].search
    if found is None:
        raise ApiError(503, "SERVICIO_NO_DISPONIBLE", "La búsqueda no está disponible en este servidor")
    return found


def numero(row: asyncpg.Record) -> str:
    return f"{row['establishment']}-{row['expedition_point']}-{row['number']}"


def item(row: asyncpg.Record) -> dict[str, Any]:
    receptor: dict[str, Any] = {"razonSocial": row["receptor_name"]}
    if row["receptor_ruc"]:
        receptor["ruc"] = row["receptor_ruc"]
    elif row["receptor_document"]:
        receptor["documento"] = row["receptor_document"]
    return {
        "id": row["id"],
        "cdc": row["cdc"],
        "numero": numero(row),
        "fecha": py_datetime(row["issued_at"]),
        "tipoDocumento": row["document_type"],
        "estado": ESTADO_OF_SITUACION.get(row["situacion"], ""),
        "situacion": row["situacion"],
        "ambiente": row["environment"],
        "receptor": receptor,
        "moneda": row["currency"],
        "total": number(row["total"]) if row["total"] is not None else None,
    }


async def de_search(request: web.Request) -> web.Response:
    principal = await tenant_principal(request)
    found = search_params.filters(request)
    limit, after = search_params.limit(request), search_params.cursor(request)
    rows, following = await read_model(request).page(principal.tenant.id, found, limit=limit, after=after)
    body = {"items": [item(r) for r in rows], "nextCursor": following.encode() if following else None}
    return json_response({"success": True, "result": body})


def _csv_line(row: asyncpg.Record) -> list[Any]:
    amount = [row[c] for c in ("total", "base10", "iva10", "base5", "iva5", "exento")]
    return [
        row["id"], row["cdc"] or "", numero(row), py_datetime(row["issued_at"]), row["document_type"],
        ESTADO_OF_SITUACION.get(row["situacion"], ""), row["situacion"], row["environment"],
        row["receptor_ruc"] or "", row["receptor_document"] or "", row["receptor_name"] or "",
        row["currency"],
        *("" if a is None else number(a) for a in amount), row["sifen_code"] or "",
    ]  # fmt: skip


def _filename(request: web.Request, extension: str) -> str:
    desde, hasta = request.query.get("desde") or "inicio", request.query.get("hasta") or "hoy"
    return f"documentos_{request.match_info['tenant']}_{desde}_{hasta}.{extension}"


async def de_csv(request: web.Request) -> web.StreamResponse:
    principal = await tenant_principal(request)
    found = search_params.filters(request)
    rows = read_model(request).export(principal.tenant.id, found)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{_filename(request, "csv")}"',
        }
    )
    response.enable_chunked_encoding()
    await response.prepare(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    pending = 0
    async with contextlib.aclosing(rows):  # a client that goes away releases the connection at once
        async for row in rows:
            writer.writerow(_csv_line(row))
            pending += 1
            if pending >= CSV_FLUSH_ROWS:
                await response.write(buffer.getvalue().encode("utf-8"))
                buffer.seek(0)
                buffer.truncate()
                pending = 0
    await response.write(buffer.getvalue().encode("utf-8"))
    await response.write_eof()
    return response


class _Chunks(io.RawIOBase):
    """A write-only, unseekable sink: zipfile writes into it, the handler drains it to the client."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


async def de_zip(request: web.Request) -> web.StreamResponse:
    principal = await tenant_principal(request)
    found = search_params.filters(request)
    entries = read_model(request).signed_xmls(principal.tenant.id, found)
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="{_filename(request, "zip")}"',
        }
    )
    response.enable_chunked_encoding()
    await response.prepare(request)
    sink = _Chunks()
    async with contextlib.aclosing(entries):
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            async for row, xml in entries:
                archive.writestr(f"{row['cdc']}.xml", xml)
                await response.write(sink.drain())
    await response.write(sink.drain())
    await response.write_eof()
    return response
