"""``make kude-samples``: PNG of page 1 of an A4 Factura electrónica and of an 80 mm ticket.

Usage: ``python scripts/kude_samples.py OUT_DIR``. The documents are our own: a 10-item FE built by
the document engine from the ``fe_contado`` fixture, signed with a throw-away test CA and given its
QR (test environment). Writes ``fe-a4.pdf``, ``fe-a4.png``, ``fe-ticket.pdf``, ``fe-ticket.png``.
Needs poppler's ``pdftoppm`` for the PNGs.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.documents import load_fixture  # noqa: E402

from sifenflow_common.documents.engine import build_document  # noqa: E402
from sifenflow_common.kude.render import render_kude  # noqa: E402
from sifenflow_common.sifen.certificates import load_pkcs12  # noqa: E402
from sifenflow_common.sifen.qr import sign_rde_with_qr  # noqa: E402
from sifenflow_common.sifen.test_ca import ensure_test_ca, issue_test_p12  # noqa: E402

TEST_CSC = "ABCD0000000000000000000000000000"  # MT v150 §13.8.3 generic test CSC


def ten_item_invoice() -> bytes:
    fixture = load_fixture("fe_contado")
    data = fixture["data"]
    items = data["items"]
    data["items"] = [dict(copy.deepcopy(items[i % len(items)]), codigo=f"ART-{i:03d}") for i in range(10)]
    total = sum(Decimal(str(it["precioUnitario"])) * Decimal(str(it["cantidad"])) for it in data["items"])
    data["condicion"] = {"tipo": 1, "entregas": [{"tipo": 1, "monto": str(total), "moneda": "PYG"}]}
    built = build_document(fixture["params"], data, environment="test", now=datetime(2026, 11, 20, 10, 15))
    with tempfile.TemporaryDirectory() as tmp:
        ca = ensure_test_ca(Path(tmp) / "ca")
        p12 = issue_test_p12(
            ca,
            ruc="80069563-1",
            name="EMPRESA S.A.",
            password="x",
            not_before=datetime(2025, 1, 1, tzinfo=UTC),
            valid_days=3650,
        )
    credentials = load_pkcs12(p12, "x")
    return sign_rde_with_qr(
        built.xml,
        credentials,
        csc_id="0001",
        csc=TEST_CSC,
        environment="test",
        signed_at=datetime(2026, 11, 20, 10, 20),
    )


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "build/kude-samples")
    out.mkdir(parents=True, exist_ok=True)
    xml = ten_item_invoice()
    (out / "fe.xml").write_bytes(xml)
    for fmt, dpi in (("a4", 110), ("ticket", 160)):
        pdf = out / f"fe-{fmt}.pdf"
        pdf.write_bytes(render_kude(xml, format=fmt))  # type: ignore[arg-type]
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                str(dpi),
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(out / f"fe-{fmt}"),
            ],
            check=True,
        )
        print(f"{out / f'fe-{fmt}.png'}")


if __name__ == "__main__":
    main()
