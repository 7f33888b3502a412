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


PRODUCTS = (
    "Arroz tipo 1 x 1 kg",
    "Aceite de girasol 900 ml",
    "Yerba mate con hierbas 500 g",
    "Azúcar blanca x 1 kg",
    "Harina de trigo 000 x 1 kg",
    "Leche entera larga vida 1 l",
    "Fideos tallarín 400 g",
    "Café molido 250 g",
    "Detergente líquido 750 ml",
    "Papel higiénico x 4 rollos",
    "Galletitas dulces 300 g",
    "Agua mineral sin gas 2 l",
    "Jabón en polvo 800 g",
    "Poroto rojo 500 g",
)
CLIENTS = (
    ("Cliente Empresa S.R.L.", "80013884-8"),
    ("Comercial San Lorenzo S.A.", "80012345-0"),
    ("Distribuidora Ñandutí S.A.", "80023456-1"),
    ("Ferretería Itauguá E.A.S.", "80034567-3"),
)


def ten_item_invoices(count: int = 1) -> list[bytes]:
    """``count`` different signed 10-item FEs (numbers, receptors, items, quantities and prices
    differ), signed with one throw-away test certificate. The first is the `make kude-samples` one."""
    fixture = load_fixture("fe_contado")
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
    documents = []
    for n in range(count):
        data = copy.deepcopy(fixture["data"])
        base = data["items"]
        if n:
            name, ruc = CLIENTS[n % len(CLIENTS)]
            data["numero"] = f"{n + 1:07d}"
            data["cliente"].update(razonSocial=name, ruc=ruc, codigo=f"C{n:03d}")
            items = [
                dict(
                    copy.deepcopy(base[i % len(base)]),
                    codigo=f"ART-{n:02d}{i:02d}",
                    descripcion=PRODUCTS[(n + i) % len(PRODUCTS)],
                    cantidad=1 + (n * 7 + i) % 12,
                    precioUnitario=1_500 * (1 + (n * 13 + i * 5) % 97),
                )
                for i in range(10)
            ]
        else:
            items = [dict(copy.deepcopy(base[i % len(base)]), codigo=f"ART-{i:03d}") for i in range(10)]
        data["items"] = items
        total = sum(Decimal(str(it["precioUnitario"])) * Decimal(str(it["cantidad"])) for it in items)
        data["condicion"] = {"tipo": 1, "entregas": [{"tipo": 1, "monto": str(total), "moneda": "PYG"}]}
        now = datetime(2026, 11, 20, 10, 15)
        built = build_document(fixture["params"], data, environment="test", now=now)
        documents.append(
            sign_rde_with_qr(
                built.xml,
                credentials,
                csc_id="0001",
                csc=TEST_CSC,
                environment="test",
                signed_at=datetime(2026, 11, 20, 10, 20),
            )
        )
    return documents


def ten_item_invoice() -> bytes:
    """The 10-item FE of ``make kude-samples``."""
    return ten_item_invoices(1)[0]


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
