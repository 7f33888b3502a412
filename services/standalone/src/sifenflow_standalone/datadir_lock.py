"""One ``sifenflow run`` per data directory: an exclusive ``flock`` on ``<data-dir>/sifenflow.lock``,
held for the life of the process (the kernel releases it however the process ends, so a crash never
leaves a stale lock). The file holds the holder's pid, so a refused start can name it."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import IO

LOCK_FILE = "sifenflow.lock"


class DataDirInUseError(Exception):
    def __init__(self, data_dir: Path, pid: str) -> None:
        super().__init__(f"data directory {data_dir} is in use by another sifenflow run (pid {pid})")
        self.data_dir = data_dir
        self.pid = pid


def lock_data_dir(data_dir: Path) -> IO[str]:
    """Take the lock (creating the directory); keep the returned file open while running.
    Raises DataDirInUseError when another process holds it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = (data_dir / LOCK_FILE).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        pid = handle.read().strip() or "?"
        handle.close()
        raise DataDirInUseError(data_dir, pid) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def release(handle: IO[str]) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()
