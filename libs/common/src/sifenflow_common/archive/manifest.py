"""``MANIFEST.sha256``: one ``<sha256>  <relative path>`` line per archived file, the format of
``sha256sum``, so ``sha256sum -c MANIFEST.sha256`` checks an archive without sifenflow too.

``verify`` reports every file that is missing, differs, or is not listed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "MANIFEST.sha256"
_LINE = re.compile(r"^([0-9a-f]{64})  (\S.*)$")


class ManifestError(ValueError):
    """The manifest is missing or unreadable."""


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str  # missing | mismatch | unlisted
    path: str

    def describe(self) -> str:
        return {
            "missing": f"FALTA (missing): {self.path}",
            "mismatch": f"DIFERENTE (sha256 mismatch): {self.path}",
            "unlisted": f"NO LISTADO (not in manifest): {self.path}",
        }[self.kind]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != MANIFEST
    )


def write_manifest(root: Path) -> int:
    """Hash every file under ``root`` into ``root/MANIFEST.sha256``; returns how many."""
    names = _files(root)
    lines = [f"{file_sha256(root / name)}  {name}\n" for name in names]
    (root / MANIFEST).write_text("".join(lines), encoding="utf-8")
    return len(names)


def read_manifest(root: Path) -> dict[str, str]:
    path = root / MANIFEST
    if not path.is_file():
        raise ManifestError(f"No hay {MANIFEST} en {root} (manifest not found)")
    entries: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _LINE.match(line)
        if match is None or ".." in Path(match.group(2)).parts:
            raise ManifestError(f"{MANIFEST}, línea {number}: formato inválido (invalid line)")
        entries[match.group(2)] = match.group(1)
    return entries


def verify(root: Path) -> tuple[int, list[Problem]]:
    """(files checked, problems); raises ManifestError when there is no usable manifest."""
    listed = read_manifest(root)
    problems: list[Problem] = []
    for name, expected in listed.items():
        path = root / name
        if not path.is_file():
            problems.append(Problem("missing", name))
        elif file_sha256(path) != expected:
            problems.append(Problem("mismatch", name))
    problems += [Problem("unlisted", name) for name in _unlisted(_files(root), listed)]
    return len(listed), problems


def _unlisted(present: Iterable[str], listed: dict[str, str]) -> list[str]:
    return [name for name in present if name not in listed]
