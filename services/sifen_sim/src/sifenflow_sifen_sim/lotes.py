"""Asynchronous lote processing (siRecepLoteDE + siResultLoteDE), MT v150 §7.10 / digest §2.2-2.3.

Reception is cheap on purpose: unzip, find the CDCs with a byte scan, refuse with 0301 a lote that
holds a CDC still in process in another lote, store the ZIP and answer 0300 with the lote number.
Everything expensive (XSD, signature, registry checks) happens in a worker thread afterwards, one
lote at a time; until it concludes, queries answer 0361. A concluded lote answers 0362 with one
``gResProcLote`` per DE (or 0363 when the DE types differ). Pending lotes survive a restart: their
ZIP stays in SQLite until concluded.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import multiprocessing
import re
import threading
import time
import zipfile
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

from sifenflow_common.sifen.soap import (
    MAX_DE_PER_LOTE,
    ConsultaLoteResult,
    LoteDeResult,
    RecepcionLoteResult,
    ResultMessage,
)
from sifenflow_sifen_sim.clock import Clock
from sifenflow_sifen_sim.faults import FaultInjector
from sifenflow_sifen_sim.precheck import PrecheckBatch, precheck_lote
from sifenflow_sifen_sim.reception import DocumentValidator
from sifenflow_sifen_sim.store import LoteItem, Store

log = logging.getLogger(__name__)
# Peers report 0364 for a lote queried more than 48 h after submission (sifen-protocol.md §2.3,
# post-v150, UNCERTAIN); the simulator answers it so clients exercise the per-CDC fallback.
LATE_QUERY = timedelta(hours=48)
_DE_ID_RE = re.compile(rb"<(?:[\w.-]+:)?DE\s[^>]*?\bId\s*=\s*[\"']([^\"']+)[\"']")
_ID_ATTR_RE = re.compile(rb"\bId\s*=\s*[\"']([^\"']+)[\"']")


def _find_cdcs(content: bytes) -> list[str]:
    """CDCs (``DE/@Id``) of a lote file: a literal scan for ``<DE `` (fast), regex for prefixed tags."""
    found: list[str] = []
    start = content.find(b"<DE ")
    while start >= 0:
        end = content.find(b">", start)
        match = _ID_ATTR_RE.search(content, start, end)
        if match:
            found.append(match.group(1).decode("ascii", "replace"))
        start = content.find(b"<DE ", end)
    if not found:
        found = [m.decode("ascii", "replace") for m in _DE_ID_RE.findall(content)]
    return found


_RUC_RE = re.compile(rb"<(?:[\w.-]+:)?dRucEm>\s*([0-9A-D]+)\s*<")


class LoteProcessor:
    def __init__(
        self,
        store: Store,
        validator: DocumentValidator,
        clock: Clock,
        faults: FaultInjector,
        *,
        processing_delay: timedelta = timedelta(0),
        avg_seconds: int = 1,
        workers: int = 0,
        roots_pem: bytes | None = None,
    ) -> None:
        self.store = store
        self.validator = validator
        self.clock = clock
        self.faults = faults
        self.processing_delay = processing_delay
        self.avg_seconds = avg_seconds
        self._durations: deque[tuple[float, float]] = deque()  # (concluded at, seconds), last 5 min
        self.workers = workers
        self.roots_pem = roots_pem
        self._pool: ProcessPoolExecutor | None = None
        self._in_process: dict[str, int] = {}  # CDC -> lote number, until the lote concludes
        self._lock = threading.Lock()
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        if self.workers > 0:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        for number, zip_bytes in self.store.pending_lotes():  # resume after a restart
            with self._lock:
                for cdc in self._scan(zip_bytes)[0]:
                    self._in_process[cdc] = number
            self._enqueue(number)
        self._worker = asyncio.create_task(self._run(), name="sifen-sim-lotes")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._pool is not None:
            pool = self._pool
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
            self._pool = None

    async def drain(self) -> None:
        """Wait until every received lote has been processed (tests, benchmark)."""
        await self._queue.join()

    def _enqueue(self, number: int) -> None:
        self._queue.put_nowait(number)

    # ------------------------------------------------------------ reception

    @staticmethod
    def _scan(zip_bytes: bytes) -> tuple[list[str], str | None]:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            names = archive.namelist()
            content = archive.read(names[0]) if names else b""
        cdcs = _find_cdcs(content)
        ruc = _RUC_RE.search(content)
        return cdcs, ruc.group(1).decode() if ruc else None

    def receive(self, d_id: int, zip_bytes: bytes, requester_ruc: str | None) -> RecepcionLoteResult:
        now = self.clock.now()

        def refused(code: str, message: str) -> RecepcionLoteResult:
            return RecepcionLoteResult(now, code, message, None, None)

        if self.faults.lote_not_queued():
            return refused("0301", "Lote no encolado para procesamiento")
        try:
            cdcs, ruc = self._scan(zip_bytes)
        except (zipfile.BadZipFile, KeyError, OSError) as exc:
            return refused("0160", f"XML malformado: xDE no es un ZIP válido ({exc})")
        if not cdcs:
            return refused("0160", "XML malformado: el lote no contiene DE")
        self.store.count_receptions(cdcs)
        if len(cdcs) > MAX_DE_PER_LOTE:
            return refused("0160", f"XML malformado: el lote contiene {len(cdcs)} DE (máximo 50)")
        with self._lock:
            busy = next((c for c in cdcs if c in self._in_process), None)
            if busy is not None:
                return refused("0301", f"Lote no encolado para procesamiento: CDC {busy} aún en proceso")
            number = self.store.create_lote(requester_ruc or ruc, d_id, now, zip_bytes)
            for cdc in cdcs:
                self._in_process[cdc] = number
        self._enqueue(number)
        return RecepcionLoteResult(now, "0300", "Lote recibido con éxito", number, self.average_seconds())

    def average_seconds(self) -> int:
        """dTpoProces: mean processing time of the last 5 minutes, rounded, at least 1 (MT v150)."""
        horizon = time.monotonic() - 300
        with self._lock:
            while self._durations and self._durations[0][0] < horizon:
                self._durations.popleft()
            values = [d for _, d in self._durations]
        if not values:
            return self.avg_seconds
        return max(1, round(sum(values) / len(values)))

    # ------------------------------------------------------------ processing

    async def _run(self) -> None:
        while True:
            number = await self._queue.get()
            try:
                row = self.store.lote(number)
                if row is not None and self.processing_delay:
                    wait = (row.received_at + self.processing_delay - self.clock.now()).total_seconds()
                    if wait > 0:
                        await asyncio.sleep(wait)
                await self.process(number)
            except Exception:
                log.exception("lote %s: procesamiento fallido", number)
            finally:
                self._queue.task_done()

    async def process(self, number: int) -> None:
        """Pure checks of every DE (worker process, or a thread), then stateful checks and storage."""
        pending = [z for n, z in self.store.pending_lotes() if n == number]
        if not pending:
            return
        args = (pending[0], self.clock.local_naive(), self.validator.registry.all(), self.roots_pem)
        batch: PrecheckBatch | None = None
        if self._pool is not None:
            try:
                batch = await asyncio.get_running_loop().run_in_executor(self._pool, precheck_lote, *args)
            except Exception:  # a broken pool must not leave the lote in 0361 forever
                log.exception("lote %s: proceso de verificación fallido; se verifica en un hilo", number)
        if batch is None:
            batch = await asyncio.to_thread(precheck_lote, *args)
        await asyncio.to_thread(self._record, number, batch)

    def _record(self, number: int, batch: PrecheckBatch) -> None:
        if batch.error is not None:
            self._conclude(number, "concluded", "0362", "Lote procesado", [], batch.error)
            return
        if len(batch.types) > 1:
            self._conclude(number, "mixed", "0363", "Lote con tipos distintos de DE", [], None)
            return
        items: list[LoteItem] = []
        for pre in batch.items:
            try:
                prot = self.validator.finish(pre, lote=number)
            except Exception as exc:  # a DE that breaks a check must not stop the lote
                log.exception("lote %s: DE no procesable", number)
                items.append(LoteItem(pre.cdc, "Rechazado", None, "0160", f"XML malformado: {exc}"[:255]))
                continue
            first = prot.messages[0] if prot.messages else ResultMessage("0160", "XML malformado")
            items.append(
                LoteItem(
                    cdc=prot.cdc or "",
                    status=prot.status or "Rechazado",
                    protocol=prot.protocol,
                    code=first.code,
                    message=first.message,
                )
            )
        self._conclude(number, "concluded", "0362", "Procesamiento de lote concluido", items, None)

    def _conclude(
        self, number: int, state: str, code: str, message: str, items: list[LoteItem], error: str | None
    ) -> None:
        with self.store.transaction() as conn:
            self.store.conclude_lote(conn, number, state, code, error or message, items)
        row = self.store.lote(number)
        if row is not None:
            elapsed = (self.clock.now() - row.received_at).total_seconds()
            with self._lock:
                self._durations.append((time.monotonic(), max(0.0, elapsed)))
        with self._lock:
            for cdc in [c for c, n in self._in_process.items() if n == number]:
                del self._in_process[cdc]

    # ------------------------------------------------------------ query

    def result(self, number: int | None, requester_ruc: str | None) -> ConsultaLoteResult:
        now = self.clock.now()
        row = self.store.lote(number) if number is not None else None
        if row is None:
            return ConsultaLoteResult(now, "0360", "Número de lote inexistente")
        if requester_ruc and row.ruc and requester_ruc.lstrip("0") != row.ruc.lstrip("0"):
            return ConsultaLoteResult(
                now, "0340", "RUC del certificado no corresponde al transmisor del lote"
            )
        if now - row.received_at > LATE_QUERY:
            return ConsultaLoteResult(now, "0364", "Consulta extemporánea de lote: consulte cada CDC")
        polls = self.store.count_poll(number) if number is not None else 0
        forced = self.faults.in_process_polls()
        if row.state == "received" or polls <= forced:
            return ConsultaLoteResult(now, "0361", f"Lote {number} en procesamiento")
        if row.state == "mixed":
            return ConsultaLoteResult(now, "0363", row.message or "Lote con tipos distintos de DE")
        results = tuple(
            LoteDeResult(
                cdc=item.cdc,
                status=item.status,
                protocol=item.protocol,
                messages=(ResultMessage(item.code, item.message),),
            )
            for item in self.store.lote_items(number or 0)
        )
        return ConsultaLoteResult(now, "0362", row.message or "Procesamiento de lote concluido", results)
