"""Benchmark of the signing stage on one core: sign + QR and verification, docs/s and latency.

Run: ``python bench/bench_signing.py [--seconds 6] [--only sign|verify]``. The document is a 10-item Factura
electrónica. When the document engine (``sifenflow_common.documents.engine``) is available the
timed loop is build + sign + QR; otherwise a prepared unsigned rDE is signed (build not timed).
Both signers are measured: the direct lxml+cryptography one (``sign_rde``, used in production)
and signxml (``sign_rde_signxml``); they produce byte-identical output.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402

from sifenflow_common.sifen.certificates import load_pkcs12  # noqa: E402
from sifenflow_common.sifen.qr import add_qr, sign_rde_with_qr  # noqa: E402
from sifenflow_common.sifen.signature import sign_rde, verify_rde  # noqa: E402
from sifenflow_common.sifen.signature_signxml import sign_rde_signxml  # noqa: E402
from sifenflow_common.sifen.test_ca import ensure_test_ca, issue_test_p12  # noqa: E402

CSC = "ABCD0000000000000000000000000000"
SIGNED_AT = datetime(2026, 11, 20, 10, 20, 0)


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def _ten_item_invoice(load_fixture: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """The engine's ``fe_contado`` fixture grown to 10 items (cash payment adjusted to the total)."""
    fixture = load_fixture("fe_contado")
    data = fixture["data"]
    items = data["items"]
    data["items"] = [dict(copy.deepcopy(items[i % len(items)]), codigo=f"ART-{i:03d}") for i in range(10)]
    total = sum(Decimal(str(it["precioUnitario"])) * Decimal(str(it["cantidad"])) for it in data["items"])
    data["condicion"] = {"tipo": 1, "entregas": [{"tipo": 1, "monto": str(total), "moneda": "PYG"}]}
    return fixture


def _unsigned_builder() -> tuple[str, Callable[[], bytes]]:
    try:
        from tests.fixtures.documents import load_fixture  # type: ignore[import-not-found,unused-ignore]

        from sifenflow_common.documents.engine import build_document  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from tests.fixtures.signing.unsigned_rde import RdeSpec, unsigned_rde

        xml = unsigned_rde(RdeSpec(items=10))
        return "sign+QR, prepared 10-item rDE (no engine)", lambda: xml
    fixture = _ten_item_invoice(load_fixture)
    params, data = fixture["params"], fixture["data"]

    def build() -> bytes:
        return bytes(build_document(params, data, environment="test").xml)

    return "build+sign+QR, 10-item FE (engine)", build


def _run_all(scenarios: list[tuple[str, Callable[[], object]]], seconds: float) -> None:
    """Measure every scenario in interleaved 0.25 s slices, ``seconds`` per scenario.

    The machine is shared: besides wall-clock latency, each operation's CPU time on this thread
    (``time.thread_time``) is recorded, which waiting for the CPU does not inflate. "docs/s (CPU)"
    = 1 / mean CPU time per document: the rate one dedicated core sustains.
    """
    wall: dict[str, list[float]] = {label: [] for label, _ in scenarios}
    cpu: dict[str, list[float]] = {label: [] for label, _ in scenarios}
    for _, fn in scenarios:
        for _ in range(10):
            fn()
    for _ in range(max(1, int(seconds / 0.25))):
        for label, fn in scenarios:
            deadline = time.perf_counter() + 0.25
            while time.perf_counter() < deadline:
                c0, t0 = time.thread_time(), time.perf_counter()
                fn()
                wall[label].append(time.perf_counter() - t0)
                cpu[label].append(time.thread_time() - c0)
    print(f"{'scenario':<72} {'CPU docs/s':>10} {'wall docs/s':>11}   wall latency p50 / p95 / p99")
    for label, values in wall.items():
        q = statistics.quantiles(values, n=100)
        cpu_rate = len(cpu[label]) / sum(cpu[label])
        print(
            f"{label:<72} {cpu_rate:10.0f} {len(values) / sum(values):11.0f}   "
            f"{q[49] * 1e3:.3f} / {q[94] * 1e3:.3f} / {q[98] * 1e3:.3f} ms  (n={len(values)})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument(
        "--only",
        choices=("sign", "verify"),
        help="measure only the signing or only the verification scenarios",
    )
    args = parser.parse_args()
    _pin_one_core()
    with tempfile.TemporaryDirectory() as tmp:
        ca = ensure_test_ca(Path(tmp) / "ca")
        p12 = issue_test_p12(
            ca,
            ruc="80069563-1",
            name="EMPRESA S.A.",
            password="bench",
            not_before=datetime(2025, 1, 1, tzinfo=UTC),
            valid_days=3650,
        )
    t0 = time.perf_counter()
    credentials = load_pkcs12(p12, "bench")
    print(f"PKCS#12 load (done once per tenant, then cached): {(time.perf_counter() - t0) * 1e3:.1f} ms")
    label, build = _unsigned_builder()

    def direct(unsigned: bytes | None = None) -> bytes:
        return sign_rde_with_qr(
            unsigned or build(), credentials, csc_id="0001", csc=CSC, environment="test", signed_at=SIGNED_AT
        )

    def direct_two_steps(unsigned: bytes | None = None) -> bytes:
        signed = sign_rde(unsigned or build(), credentials, signed_at=SIGNED_AT)
        return add_qr(signed, csc_id="0001", csc=CSC, environment="test")

    def with_signxml(unsigned: bytes | None = None) -> bytes:
        signed = sign_rde_signxml(unsigned or build(), credentials, signed_at=SIGNED_AT)
        return add_qr(signed, csc_id="0001", csc=CSC, environment="test")

    sample = build()  # the engine draws a new dCodSeg per build: compare the signers on one input
    assert direct(sample) == with_signxml(sample) == direct_two_steps(sample), (
        "signers must agree byte for byte"
    )
    signed = direct()
    assert verify_rde(signed).ok
    block = b"x" * 1100  # about the size of a canonical SignedInfo
    scenarios: list[tuple[str, Callable[[], object]]] = [
        (
            "reference: RSA-2048 PKCS#1 v1.5 SHA-256 signature alone",
            lambda: credentials.private_key.sign(block, padding.PKCS1v15(), hashes.SHA256()),
        ),
        (f"{label}, direct, one pass (sign_rde_with_qr)", direct),
        (f"{label}, direct, sign_rde then add_qr", direct_two_steps),
        (f"{label}, signxml then add_qr", with_signxml),
    ]
    if not label.startswith("sign+QR"):
        scenarios.append(("build alone (engine), for reference", build))
    scenarios += [
        ("verify_rde (profile, digest, RSA, dates, RUC)", lambda: verify_rde(signed)),
        ("verify_rde with trusted root", lambda: verify_rde(signed, trusted_roots=[ca.certificate])),
    ]
    if args.only == "verify":
        scenarios = [s for s in scenarios if s[0].startswith("verify_rde")]
    elif args.only == "sign":
        scenarios = [s for s in scenarios if not s[0].startswith("verify_rde")]
    print(f"one core, interleaved slices, {args.seconds:.0f} s per scenario")
    _run_all(scenarios, args.seconds)


if __name__ == "__main__":
    main()
