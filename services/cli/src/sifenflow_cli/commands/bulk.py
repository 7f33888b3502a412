"""``sifenflow bulk FILE.ndjson``: post up to 10,000 documents to the gateway's ``/bulk`` and follow
the batch with periodic progress lines until it is completed (or failed)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import click

FINAL = frozenset({"completado", "fallido"})


def progress_line(view: dict[str, Any], elapsed: float) -> str:
    total = int(view.get("total") or 0)
    accepted = int(view.get("accepted") or 0)
    failed = int(view.get("failed") or 0)
    done = accepted + failed
    percent = 100.0 * done / total if total else 100.0
    rate = accepted / elapsed if elapsed > 0 else 0.0
    return (
        f"[{elapsed:6.1f}s] {view.get('status', '?'):<11} {done}/{total} ({percent:5.1f}%) "
        f"aceptados={accepted} con_error={failed} ({rate:.0f} docs/s)"
    )


async def write_results(
    session: aiohttp.ClientSession, lines_url: str, headers: dict[str, str], target: Path
) -> int:
    """Every line's outcome (``GET …/lines``, page by page) as JSON lines in ``target``; returns how
    many were written."""
    written = 0
    cursor: str | None = ""
    with target.open("w", encoding="utf-8") as out:
        while cursor is not None:
            params = {"limit": "1000", "cursor": cursor}
            async with session.get(lines_url, params=params, headers=headers) as response:
                page = await response.json(content_type=None)
                if response.status != 200:
                    raise click.ClickException(json.dumps(page, ensure_ascii=False))
            for line in page["lines"]:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
                written += 1
            cursor = page["nextCursor"]
    return written


async def post_bulk(
    url: str,
    tenant: str,
    api_key: str,
    body: bytes,
    *,
    idempotency_key: str | None,
    interval: float,
    results: Path | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST the NDJSON, then poll ``GET /{tenant}/bulk/{id}``; returns (exit code, last view).
    With ``results``, writes every line's outcome there once the batch is final."""
    headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/x-ndjson"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    base = url.rstrip("/")
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base}/{tenant}/bulk", data=body, headers=headers) as response:
            answer = await response.json(content_type=None)
            if response.status != 202:
                click.echo(json.dumps(answer, ensure_ascii=False), err=True)
                return 2, answer
        view = answer.get("result", answer)
        batch_id = view["batchId"]
        click.echo(f"envío masivo {batch_id}: {view.get('total')} documentos")
        while True:
            click.echo(progress_line(view, time.monotonic() - started))
            if view.get("status") in FINAL:
                break
            await asyncio.sleep(interval)
            async with session.get(f"{base}/{tenant}/bulk/{batch_id}", headers=headers) as response:
                answer = await response.json(content_type=None)
                if response.status != 200:
                    click.echo(json.dumps(answer, ensure_ascii=False), err=True)
                    return 2, answer
                view = answer.get("result", answer)
        if results is not None:
            lines_url = f"{base}/{tenant}/bulk/{batch_id}/lines"
            count = await write_results(session, lines_url, headers, results)
            click.echo(f"resultado de {count} líneas en {results}")
    for error in view.get("errors") or []:
        click.echo(json.dumps(error, ensure_ascii=False), err=True)
    ok = view.get("status") == "completado" and not view.get("failed")
    return (0 if ok else 1), view


@click.command(name="bulk")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", envvar="SIFENFLOW_URL", default="http://127.0.0.1:8080", show_default=True)
@click.option("--tenant", envvar="SIFENFLOW_TENANT", required=True, help="Slug o id del emisor.")
@click.option("--api-key", envvar="SIFENFLOW_API_KEY", required=True, help="api_key_… del emisor.")
@click.option("--idempotency-key", default=None, help="Reintentos con la misma clave no duplican.")
@click.option("--interval", default=1.0, show_default=True, type=float, help="Segundos entre líneas.")
@click.option(
    "--resultados", "results", default=None, type=click.Path(dir_okay=False, path_type=Path),
    help="Escribe el resultado de cada línea (estado, CDC, número o errores) como JSON por línea.",
)  # fmt: skip
def command(
    file: Path,
    url: str,
    tenant: str,
    api_key: str,
    idempotency_key: str | None,
    interval: float,
    results: Path | None,
) -> None:
    """Envía un archivo NDJSON (un documento por línea, hasta 10.000) y muestra el progreso."""
    try:
        code, _ = asyncio.run(
            post_bulk(
                url,
                tenant,
                api_key,
                file.read_bytes(),
                idempotency_key=idempotency_key,
                interval=interval,
                results=results,
            )
        )
    except aiohttp.ClientError as exc:
        error = {"code": "GATEWAY_INACCESIBLE", "path": "url", "message": f"No se pudo conectar: {exc}"}
        click.echo(json.dumps(error, ensure_ascii=False), err=True)
        code = 2
    sys.exit(code)
