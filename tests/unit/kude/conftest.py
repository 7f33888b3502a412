"""Helpers for the KuDE tests: PDF text (poppler pdftotext), page images (pdftoppm), QR decoding (zbar).

These tools are required (Debian poppler-utils, libzbar0); a missing tool fails the test loudly.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol

from sifenflow_common.kude.render import KudeRenderer


@pytest.fixture(scope="session")
def renderer() -> KudeRenderer:
    return KudeRenderer()


def pdf_text(pdf: bytes, tmp_path: Path, *, first: int | None = None, last: int | None = None) -> str:
    source = tmp_path / "kude.pdf"
    source.write_bytes(pdf)
    args = ["pdftotext", "-layout", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return subprocess.run([*args, str(source), "-"], check=True, capture_output=True).stdout.decode("utf-8")


def pdf_info(pdf: bytes, tmp_path: Path) -> dict[str, str]:
    source = tmp_path / "info.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(source)], check=True, capture_output=True).stdout.decode()
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


def page_png(pdf: bytes, tmp_path: Path, page: int = 1, dpi: int = 300) -> Path:
    source = tmp_path / "page.pdf"
    source.write_bytes(pdf)
    prefix = tmp_path / f"page{page}"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-png",
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(source),
            str(prefix),
        ],
        check=True,
        capture_output=True,
    )
    return prefix.with_suffix(".png")


def decode_qr(png: Path) -> list[str]:
    with Image.open(png) as image:
        # QR only: scanning a 300 dpi page for every linear symbology too takes seconds
        return [r.data.decode("utf-8") for r in pyzbar.decode(image, symbols=[ZBarSymbol.QRCODE])]


def squash(text: str) -> str:
    """pdftotext -layout pads columns with spaces: compare on single-spaced text."""
    return " ".join(text.split())


# --- our own documents: engine → signature → QR (what the kude service will receive) ---------------------

CSC = "ABCD0000000000000000000000000000"  # MT v150 §13.8.3 generic test CSC, IdCSC 0001


@pytest.fixture(scope="session")
def kude_credentials(tmp_path_factory: pytest.TempPathFactory):
    from datetime import UTC, datetime

    from sifenflow_common.sifen.certificates import load_pkcs12
    from sifenflow_common.sifen.test_ca import ensure_test_ca, issue_test_p12

    ca = ensure_test_ca(tmp_path_factory.mktemp("kude-ca"))
    p12 = issue_test_p12(
        ca,
        ruc="80069563-1",
        name="EMPRESA S.A.",
        password="kude",
        not_before=datetime(2025, 1, 1, tzinfo=UTC),
        valid_days=3650,
    )
    return load_pkcs12(p12, "kude")
