"""MANIFEST.sha256 of the legal archive: written in sha256sum's format, every deviation reported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sifenflow_common.archive.export import ArchiveError, period
from sifenflow_common.archive.manifest import MANIFEST, ManifestError, file_sha256, verify, write_manifest

pytestmark = pytest.mark.unit


def make_archive(root: Path) -> None:
    (root / "demo" / "0180").mkdir(parents=True)
    (root / "demo" / "0180" / "signed.xml").write_bytes(b"<rDE/>")
    (root / "archive.json").write_text("{}")


def test_manifest_lists_every_file_but_itself_and_verifies(tmp_path: Path) -> None:
    make_archive(tmp_path)
    assert write_manifest(tmp_path) == 2
    lines = (tmp_path / MANIFEST).read_text().splitlines()
    assert lines == [
        f"{file_sha256(tmp_path / 'archive.json')}  archive.json",
        f"{file_sha256(tmp_path / 'demo/0180/signed.xml')}  demo/0180/signed.xml",
    ]
    assert verify(tmp_path) == (2, [])


def test_each_deviation_is_one_problem(tmp_path: Path) -> None:
    make_archive(tmp_path)
    write_manifest(tmp_path)
    (tmp_path / "demo" / "0180" / "signed.xml").write_bytes(b"<rDE />")
    (tmp_path / "archive.json").unlink()
    (tmp_path / "demo" / "extra.txt").write_text("x")
    checked, problems = verify(tmp_path)
    assert checked == 2
    assert [p.describe() for p in problems] == [
        "FALTA (missing): archive.json",
        "DIFERENTE (sha256 mismatch): demo/0180/signed.xml",
        "NO LISTADO (not in manifest): demo/extra.txt",
    ]


@pytest.mark.parametrize("line", ["abc  x", f"{'0' * 64} x", f"{'0' * 64}  ../etc/passwd"])
def test_a_malformed_or_escaping_line_is_refused(tmp_path: Path, line: str) -> None:
    (tmp_path / MANIFEST).write_text(line + "\n")
    with pytest.raises(ManifestError, match="línea 1"):
        verify(tmp_path)


def test_no_manifest_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="manifest not found"):
        verify(tmp_path)


def test_period_is_whole_days_in_paraguay_time() -> None:
    start, end = period(date(2026, 1, 1), date(2026, 1, 31))
    assert start.isoformat() == "2026-01-01T00:00:00-03:00"
    assert end.isoformat() == "2026-02-01T00:00:00-03:00"
    with pytest.raises(ArchiveError, match="anterior"):
        period(date(2026, 2, 1), date(2026, 1, 1))
