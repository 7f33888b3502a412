"""``sifenflow archive export|verify`` on documents that went through the whole pipeline (every
service its own process, real PostgreSQL and RabbitMQ, the SIFEN simulator): the signed rDE and
every SIFEN answer (siRecepDE, siRecepLoteDE, siResultLoteDE: MT v150 §12.3) land in the archive with
a SHA-256 manifest that ``sha256sum -c`` accepts too; any altered, missing or extra file is reported
with a non-zero exit."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import asyncpg
import pytest
import pytest_asyncio

from sifenflow_common.testing import eventually
from sifenflow_standalone.demo import DEMO_SLUG, demo_invoice
from tests.e2e.pipeline.stack import Stack, bearer, cli, processes_stack, statuses

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def emitted(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[Stack, list[str], list[str]]]:
    """The stack, once 2 documents (de/create, sync) and a lote of 10 are approved: their CDCs."""
    async with processes_stack(tmp_path_factory.mktemp("e2e-archive"), name="archive") as stack:
        demo = stack.tenants[DEMO_SLUG]
        async with aiohttp.ClientSession() as session:
            sync: list[str] = []
            for _ in range(2):
                async with session.post(
                    f"{stack.url}/{demo.slug}/de/create", json=demo_invoice(), headers=bearer(demo)
                ) as r:
                    assert r.status == 200, await r.text()
                    sync += [d["cdc"] for d in (await r.json())["deList"]]
            async with session.post(
                f"{stack.url}/{demo.slug}/lote/create",
                json=[demo_invoice() for _ in range(10)],
                headers=bearer(demo),
            ) as r:
                assert r.status == 200, await r.text()
                in_lote = [d["cdc"] for d in (await r.json())["deList"]]

            async def approved() -> None:
                found = await statuses(session, stack, demo, sync + in_lote)
                assert {d["estado"] for d in found.values()} == {"Aprobado"}, found

            await eventually(approved, timeout=90, interval=0.5)
        yield stack, sync, in_lote


async def archive(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": stack.database_url}
    return await asyncio.to_thread(
        subprocess.run, cli("archive", *args), env=env, capture_output=True, text=True, timeout=120
    )


def around_today() -> list[str]:
    today = date.today()
    return ["--desde", str(today - timedelta(days=1)), "--hasta", str(today + timedelta(days=1))]


async def test_export_holds_signed_xml_and_every_sifen_answer_and_verifies(
    emitted: tuple[Stack, list[str], list[str]], tmp_path: Path
) -> None:
    stack, sync, in_lote = emitted
    target = tmp_path / "archivo"
    done = await archive(stack, "export", *around_today(), str(target))
    assert done.returncode == 0, done.stderr
    assert "12 documentos y 1 lotes archivados" in done.stdout

    pool = await asyncpg.create_pool(stack.database_url, min_size=1, max_size=2)
    try:
        signed = {
            r["cdc"]: r["sha"]
            for r in await pool.fetch(
                "SELECT data->>'cdc' AS cdc, data->>'signed_xml_sha256' AS sha FROM events"
                " WHERE type = 'document.signed'"
            )
        }
    finally:
        await pool.close()
    for cdc in sync + in_lote:
        folder = target / DEMO_SLUG / cdc
        xml = (folder / "signed.xml").read_bytes()
        assert hashlib.sha256(xml).hexdigest() == signed[cdc]  # the very bytes that were sent
        assert b"<Signature" in xml and cdc.encode() in xml
        events = [e["type"] for e in json.loads((folder / "events.json").read_text())]
        assert events[0] == "document.requested" and "document.approved" in events
    for cdc in sync:  # siRecepDE: the SOAP request and SIFEN's answer (rRetEnviDe, 0260)
        [answer] = (target / DEMO_SLUG / cdc).glob("*-document.sent_sync-response.xml")
        assert b"rRetEnviDe" in answer.read_bytes() and b"0260" in answer.read_bytes()
        assert list((target / DEMO_SLUG / cdc).glob("*-document.sent_sync-request.xml"))

    index = json.loads((target / "archive.json").read_text())
    assert {d["cdc"] for d in index["documents"]} == set(sync + in_lote)
    [lote_id] = {lote for d in index["documents"] if d["cdc"] in in_lote for lote in d["lotes"]}
    assert all(d["lotes"] == [] for d in index["documents"] if d["cdc"] in sync)
    lote = target / DEMO_SLUG / "lotes" / lote_id
    [receipt] = lote.glob("*-lote.submitted-response.xml")  # siRecepLoteDE: 0300 received
    assert b"0300" in receipt.read_bytes()
    results = b"".join(p.read_bytes() for p in lote.glob("*-lote.polled-response.xml"))  # siResultLoteDE
    assert all(cdc.encode() in results for cdc in in_lote)
    assert list(lote.glob("*-lote.submission_started-request.xml"))

    checked = await archive(stack, "verify", str(target))
    assert checked.returncode == 0, checked.stderr
    assert "archivo íntegro" in checked.stdout
    # the manifest is plain sha256sum format
    standard = await asyncio.to_thread(
        subprocess.run, ["sha256sum", "--quiet", "-c", "MANIFEST.sha256"], cwd=target, capture_output=True
    )
    assert standard.returncode == 0, standard.stdout

    altered = target / DEMO_SLUG / in_lote[0] / "signed.xml"
    altered.write_bytes(altered.read_bytes().replace(b"<", b" <", 1))
    (target / DEMO_SLUG / sync[0] / "events.json").unlink()
    (target / "nota.txt").write_text("agregado después")
    broken = await archive(stack, "verify", str(target))
    assert broken.returncode == 1
    assert f"DIFERENTE (sha256 mismatch): {DEMO_SLUG}/{in_lote[0]}/signed.xml" in broken.stderr
    assert f"FALTA (missing): {DEMO_SLUG}/{sync[0]}/events.json" in broken.stderr
    assert "NO LISTADO (not in manifest): nota.txt" in broken.stderr
    assert "ARCHIVO_ALTERADO" in broken.stderr


async def test_export_selects_by_period_and_tenant_and_refuses_what_it_cannot_do(
    emitted: tuple[Stack, list[str], list[str]], tmp_path: Path
) -> None:
    stack, _, _ = emitted
    other = await archive(stack, "export", *around_today(), "--tenant", "otra", str(tmp_path / "otra"))
    assert other.returncode == 0 and "0 documentos y 0 lotes" in other.stdout, other.stderr
    old = await archive(
        stack, "export", "--desde", "2020-01-01", "--hasta", "2020-12-31", str(tmp_path / "old")
    )
    assert old.returncode == 0 and "0 documentos" in old.stdout, old.stderr
    assert (await archive(stack, "verify", str(tmp_path / "old"))).returncode == 0

    (tmp_path / "lleno").mkdir()
    (tmp_path / "lleno" / "x").write_text("x")
    full = await archive(stack, "export", *around_today(), str(tmp_path / "lleno"))
    assert full.returncode == 1 and "DIRECTORIO_NO_VACIO" in full.stderr
    unknown = await archive(stack, "export", *around_today(), "--tenant", "nadie", str(tmp_path / "n"))
    assert unknown.returncode == 1 and "EMPRESA_NO_ENCONTRADA" in unknown.stderr
    backwards = await archive(
        stack, "export", "--desde", "2026-02-01", "--hasta", "2026-01-01", str(tmp_path / "b")
    )
    assert backwards.returncode == 1 and "PERIODO_INVALIDO" in backwards.stderr
    bad = await archive(
        stack, "export", "--desde", "01/02/2026", "--hasta", "2026-01-01", str(tmp_path / "c")
    )
    assert bad.returncode == 2 and "AAAA-MM-DD" in bad.stderr
    nothing = await archive(stack, "verify", str(tmp_path / "no-existe"))
    assert nothing.returncode == 2 and "MANIFIESTO_INVALIDO" in nothing.stderr
