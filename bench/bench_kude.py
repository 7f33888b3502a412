"""Benchmark of the KuDE renderer on one core: PDFs/s and latency percentiles.

Run: ``python bench/bench_kude.py [--seconds 6]``. The documents are 12 different 10-item Facturas
electrónicas built by the engine (numbers, receptors, item descriptions, quantities and prices
differ), signed with a test certificate, with their QR (test environment); the timed loop renders
them in turn, so nothing that depends on the text can be reused from one render to the next: signed
XML → read → HTML → weasyprint → PDF bytes, QR image included. Cases: A4, the 80 mm
ticket, and ``render_many`` (10 KuDEs in one PDF, reported per KuDE). Throughput is given on wall
time and on process CPU time (the machine is shared; CPU time is the steadier figure). As in a
service process, the start-up heap is frozen out of garbage collection before the renderer starts
(``runtime.memory``); ``--no-freeze`` measures without that.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from kude_samples import ten_item_invoices  # noqa: E402

from sifenflow_common.kude.markup import KudeOptions, kude_document  # noqa: E402
from sifenflow_common.kude.render import KudeRenderer, _template  # noqa: E402
from sifenflow_common.runtime.memory import freeze_startup_heap  # noqa: E402
from sifenflow_common.sifen.xml_read import read_rde  # noqa: E402


def _naive(xml: bytes) -> bytes:
    """The same markup rendered the naive way, for comparison: stylesheets parsed and a new font
    configuration on every call, weasyprint's full UA stylesheet and HTML5 parser, the system font
    subset per PDF, and segno choosing the best QR mask."""
    import segno
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    import sifenflow_common.kude.markup as markup

    view = read_rde(xml)
    original = markup.qr_png_data_uri
    markup.qr_png_data_uri = lambda text: segno.make(text, error="m").png_data_uri(scale=1, border=4)
    try:
        html = kude_document([view], KudeOptions())
    finally:
        markup.qr_png_data_uri = original
    fonts = FontConfiguration()
    css = CSS(string=_template("ua.css") + _template("base.css") + _template("a4.css"), font_config=fonts)
    pdf = HTML(string=html).write_pdf(stylesheets=[css], font_config=fonts)
    assert isinstance(pdf, bytes)
    return pdf


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def _run(label: str, fn: Callable[[], object], seconds: float, per_call: int = 1) -> None:
    for _ in range(3):
        fn()
    latencies: list[float] = []
    cpu0 = time.process_time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(latencies) < 5:
        t0 = time.perf_counter()
        fn()
        latencies.append(time.perf_counter() - t0)
    cpu = time.process_time() - cpu0
    docs = len(latencies) * per_call
    q = statistics.quantiles(latencies, n=100)
    print(
        f"{label:<34} {docs / sum(latencies):6.1f} PDFs/s wall  {docs / cpu:6.1f} PDFs/s CPU   "
        f"p50 {q[49] * 1e3:7.1f} ms  p95 {q[94] * 1e3:7.1f} ms  p99 {q[98] * 1e3:7.1f} ms  "
        f"(n={len(latencies)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--no-freeze", action="store_true", help="leave the start-up heap to the collector")
    args = parser.parse_args()
    _pin_one_core()
    documents = ten_item_invoices(12)
    if not args.no_freeze:
        freeze_startup_heap()
    turn = itertools.cycle(documents)
    xml = documents[0]
    t0 = time.perf_counter()
    renderer = KudeRenderer()
    startup = time.perf_counter() - t0
    print(f"renderer start-up (stylesheets, font cut, font config; once per process): {startup:.2f} s")
    pdf = renderer.render(xml)
    print(f"A4 PDF size: {len(pdf)} bytes")
    _run("A4, 10 items, QR", lambda: renderer.render(next(turn)), args.seconds)
    _run("ticket 80 mm, 10 items, QR", lambda: renderer.render(next(turn), format="ticket"), args.seconds)
    _run("A4 naive weasyprint (reference)", lambda: _naive(next(turn)), args.seconds / 2)
    batch = documents[:10]
    _run("A4 render_many x10 (per KuDE)", lambda: renderer.render_many(batch), args.seconds, per_call=10)


if __name__ == "__main__":
    main()
