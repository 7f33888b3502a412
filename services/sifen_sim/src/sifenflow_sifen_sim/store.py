"""Persistence of the simulator in one SQLite file (stdlib ``sqlite3``).

Why SQLite and not the project's Postgres: the simulator must run anywhere (CI, a laptop, `make run`
with embedded Postgres or none) with no setup, and its state is small. The file (``sim.sqlite3`` in
``--data-dir``, or ``:memory:``) holds approved and rejected documents, lotes and their per-DE
results (and the received ZIP until processed, so a restart resumes pending lotes), events,
inutilized ranges, the taxpayer registry and the protocol counters. WAL mode; one connection shared
by the event loop and the lote worker thread behind a lock.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sifenflow_sifen_sim.registry import Contribuyente, contribuyente_from_dict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    cdc TEXT PRIMARY KEY,
    ruc TEXT NOT NULL, itide INTEGER NOT NULL, timbrado TEXT NOT NULL, est TEXT NOT NULL,
    pun TEXT NOT NULL, num TEXT NOT NULL, serie TEXT NOT NULL DEFAULT '', tip_emi TEXT NOT NULL,
    status TEXT NOT NULL, code TEXT NOT NULL, message TEXT NOT NULL, protocol INTEGER,
    digest TEXT, xml BLOB NOT NULL, received_at TEXT NOT NULL, approved_at TEXT,
    lote INTEGER, cancelled INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS documents_number_approved
    ON documents (itide, timbrado, est, pun, num, serie, tip_emi) WHERE protocol IS NOT NULL;
CREATE TABLE IF NOT EXISTS lotes (
    number INTEGER PRIMARY KEY, ruc TEXT, d_id INTEGER NOT NULL, received_at TEXT NOT NULL,
    state TEXT NOT NULL, code TEXT, message TEXT, polls INTEGER NOT NULL DEFAULT 0, zip BLOB
);
CREATE TABLE IF NOT EXISTS lote_items (
    lote INTEGER NOT NULL, pos INTEGER NOT NULL, cdc TEXT NOT NULL, status TEXT NOT NULL,
    protocol INTEGER, code TEXT NOT NULL, message TEXT NOT NULL, PRIMARY KEY (lote, pos)
);
CREATE TABLE IF NOT EXISTS events (
    protocol INTEGER PRIMARY KEY, event_id TEXT NOT NULL, cdc TEXT, kind TEXT NOT NULL,
    xml BLOB NOT NULL, answer BLOB NOT NULL, registered_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_cdc ON events (cdc);
CREATE TABLE IF NOT EXISTS inutilizaciones (
    protocol INTEGER PRIMARY KEY, ruc TEXT, timbrado TEXT NOT NULL, est TEXT NOT NULL,
    pun TEXT NOT NULL, itide INTEGER NOT NULL, desde INTEGER NOT NULL, hasta INTEGER NOT NULL,
    registered_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS registry (ruc TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS receptions (cdc TEXT PRIMARY KEY, count INTEGER NOT NULL);
"""

# First protocol numbers handed out (dProtAut N10, dProtConsLote); arbitrary but realistic.
_COUNTER_START = {"protocol": 1_000_000_000 - 1, "lote": 100_000_000_000 - 1}


@dataclass(frozen=True, slots=True)
class StoredDocument:
    cdc: str
    ruc: str
    itide: int
    status: str
    code: str
    message: str
    protocol: int | None
    digest: str | None
    xml: bytes
    approved_at: datetime | None
    cancelled: bool


@dataclass(frozen=True, slots=True)
class LoteRow:
    number: int
    ruc: str | None
    d_id: int
    received_at: datetime
    state: str  # received | concluded | mixed
    code: str | None
    message: str | None
    polls: int


@dataclass(frozen=True, slots=True)
class LoteItem:
    cdc: str
    status: str
    protocol: int | None
    code: str
    message: str


class Store:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        with self._lock:
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def next_number(self, name: str, conn: sqlite3.Connection | None = None) -> int:
        with self._lock:
            c = conn or self._conn
            c.execute(
                "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING",
                (name, _COUNTER_START[name]),
            )
            row = c.execute(
                "UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value", (name,)
            ).fetchone()
            return int(row[0])

    # ------------------------------------------------------------ receptions

    def count_receptions(self, cdcs: list[str]) -> None:
        """One more reception of each CDC (siRecepDE or a lote), whatever its outcome."""
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO receptions (cdc, count) VALUES (?, 1) "
                "ON CONFLICT(cdc) DO UPDATE SET count = count + 1",
                [(cdc,) for cdc in cdcs],
            )

    def receptions(self, cdc: str) -> int:
        with self._lock:
            row = self._conn.execute("SELECT count FROM receptions WHERE cdc = ?", (cdc,)).fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------------ registry

    def save_contribuyente(self, entry: Contribuyente) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO registry (ruc, data) VALUES (?, ?) "
                "ON CONFLICT(ruc) DO UPDATE SET data = excluded.data",
                (entry.ruc, json.dumps(entry.as_dict())),
            )

    def load_registry(self) -> list[Contribuyente]:
        with self._lock:
            rows = self._conn.execute("SELECT data FROM registry ORDER BY ruc").fetchall()
        return [contribuyente_from_dict(json.loads(r[0])) for r in rows]

    # ------------------------------------------------------------ documents

    def document(self, cdc: str) -> StoredDocument | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT cdc, ruc, itide, status, code, message, protocol, digest, xml, approved_at, "
                "cancelled "
                "FROM documents WHERE cdc = ?",
                (cdc,),
            ).fetchone()
        if row is None:
            return None
        return StoredDocument(
            cdc=row[0],
            ruc=row[1],
            itide=row[2],
            status=row[3],
            code=row[4],
            message=row[5],
            protocol=row[6],
            digest=row[7],
            xml=bytes(row[8]),
            approved_at=datetime.fromisoformat(row[9]) if row[9] else None,
            cancelled=bool(row[10]),
        )

    def approved_cdc_for_number(
        self, itide: int, timbrado: str, est: str, pun: str, num: str, serie: str, tip_emi: str
    ) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT cdc FROM documents WHERE itide=? AND timbrado=? AND est=? AND pun=? AND num=? "
                "AND serie=? AND tip_emi=? AND protocol IS NOT NULL",
                (itide, timbrado, est, pun, num, serie, tip_emi),
            ).fetchone()
        return row[0] if row else None

    def approved_in_range(
        self, timbrado: str, est: str, pun: str, itide: int, desde: int, hasta: int
    ) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT cdc FROM documents WHERE timbrado=? AND est=? AND pun=? AND itide=? "
                "AND CAST(num AS INTEGER) BETWEEN ? AND ? AND protocol IS NOT NULL LIMIT 1",
                (timbrado, est, pun, itide, desde, hasta),
            ).fetchone()
        return row[0] if row else None

    def save_document(
        self,
        conn: sqlite3.Connection,
        *,
        cdc: str,
        fields: dict[str, str | int],
        status: str,
        code: str,
        message: str,
        protocol: int | None,
        digest: str | None,
        xml: bytes,
        received_at: datetime,
        lote: int | None,
    ) -> None:
        """Insert or replace a document; an approved one is never replaced (duplicates are checked first)."""
        conn.execute(
            "INSERT INTO documents (cdc, ruc, itide, timbrado, est, pun, num, serie, tip_emi, status, code, "
            "message, protocol, digest, xml, received_at, approved_at, lote) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(cdc) DO UPDATE SET status=excluded.status, code=excluded.code, "
            "message=excluded.message, protocol=excluded.protocol, digest=excluded.digest, xml=excluded.xml, "
            "received_at=excluded.received_at, approved_at=excluded.approved_at, lote=excluded.lote "
            "WHERE documents.protocol IS NULL",
            (
                cdc,
                str(fields.get("ruc", "")),
                int(fields.get("itide", 0) or 0),
                str(fields.get("timbrado", "")),
                str(fields.get("est", "")),
                str(fields.get("pun", "")),
                str(fields.get("num", "")),
                str(fields.get("serie", "")),
                str(fields.get("tip_emi", "")),
                status,
                code,
                message,
                protocol,
                digest,
                xml,
                received_at.isoformat(),
                received_at.isoformat() if protocol is not None else None,
                lote,
            ),
        )

    def mark_cancelled(self, conn: sqlite3.Connection, cdc: str) -> None:
        conn.execute("UPDATE documents SET cancelled = 1 WHERE cdc = ?", (cdc,))

    # ------------------------------------------------------------ lotes

    def create_lote(self, ruc: str | None, d_id: int, received_at: datetime, zip_bytes: bytes) -> int:
        with self.transaction() as conn:
            number = self.next_number("lote", conn)
            conn.execute(
                "INSERT INTO lotes (number, ruc, d_id, received_at, state, zip) VALUES (?,?,?,?,?,?)",
                (number, ruc, d_id, received_at.isoformat(), "received", zip_bytes),
            )
        return number

    def pending_lotes(self) -> list[tuple[int, bytes]]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT number, zip FROM lotes WHERE state = 'received' ORDER BY number"
            ).fetchall()
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def lote(self, number: int) -> LoteRow | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT number, ruc, d_id, received_at, state, code, message, polls "
                "FROM lotes WHERE number = ?",
                (number,),
            ).fetchone()
        if row is None:
            return None
        return LoteRow(
            number=row[0],
            ruc=row[1],
            d_id=row[2],
            received_at=datetime.fromisoformat(row[3]),
            state=row[4],
            code=row[5],
            message=row[6],
            polls=row[7],
        )

    def count_poll(self, number: int) -> int:
        with self._lock:
            row = self._conn.execute(
                "UPDATE lotes SET polls = polls + 1 WHERE number = ? RETURNING polls", (number,)
            ).fetchone()
        return int(row[0]) if row else 0

    def conclude_lote(
        self,
        conn: sqlite3.Connection,
        number: int,
        state: str,
        code: str,
        message: str,
        items: list[LoteItem],
    ) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO lote_items (lote, pos, cdc, status, protocol, code, message) "
            "VALUES (?,?,?,?,?,?,?)",
            [(number, i, it.cdc, it.status, it.protocol, it.code, it.message) for i, it in enumerate(items)],
        )
        conn.execute(
            "UPDATE lotes SET state = ?, code = ?, message = ?, zip = NULL WHERE number = ?",
            (state, code, message, number),
        )

    def lote_items(self, number: int) -> list[LoteItem]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT cdc, status, protocol, code, message FROM lote_items WHERE lote = ? ORDER BY pos",
                (number,),
            ).fetchall()
        return [LoteItem(cdc=r[0], status=r[1], protocol=r[2], code=r[3], message=r[4]) for r in rows]

    # ------------------------------------------------------------ events

    def save_event(
        self,
        conn: sqlite3.Connection,
        *,
        protocol: int,
        event_id: str,
        cdc: str | None,
        kind: str,
        xml: bytes,
        answer: bytes,
        registered_at: datetime,
    ) -> None:
        conn.execute(
            "INSERT INTO events (protocol, event_id, cdc, kind, xml, answer, registered_at) "
            "VALUES (?,?,?,?,?,?,?)",
            (protocol, event_id, cdc, kind, xml, answer, registered_at.isoformat()),
        )

    def events_of(self, cdc: str) -> list[tuple[str, bytes, bytes]]:
        """(kind, event XML, answer XML) of every registered event of a CDC, in order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT kind, xml, answer FROM events WHERE cdc = ? ORDER BY protocol", (cdc,)
            ).fetchall()
        return [(r[0], bytes(r[1]), bytes(r[2])) for r in rows]

    def save_inutilizacion(
        self,
        conn: sqlite3.Connection,
        *,
        protocol: int,
        ruc: str | None,
        timbrado: str,
        est: str,
        pun: str,
        itide: int,
        desde: int,
        hasta: int,
        registered_at: datetime,
    ) -> None:
        conn.execute(
            "INSERT INTO inutilizaciones "
            "(protocol, ruc, timbrado, est, pun, itide, desde, hasta, registered_at) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            (protocol, ruc, timbrado, est, pun, itide, desde, hasta, registered_at.isoformat()),
        )

    def inutilizado_overlap(
        self, timbrado: str, est: str, pun: str, itide: int, desde: int, hasta: int
    ) -> bool:
        with self._lock:
            row = self._conn.execute(
                "SELECT 1 FROM inutilizaciones WHERE timbrado=? AND est=? AND pun=? AND itide=? "
                "AND desde <= ? AND hasta >= ? LIMIT 1",
                (timbrado, est, pun, itide, hasta, desde),
            ).fetchone()
        return row is not None
