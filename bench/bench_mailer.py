"""Benchmark of the document email: compose (KuDE + XML attached) and send to a local SMTP server.

Run: ``python bench/bench_mailer.py [--seconds 5]``. An aiosmtpd server runs in a thread on
loopback; each iteration composes the email of a signed 10-item FE (its KuDE rendered beforehand)
and sends it over one new SMTP connection (as the mailer does per document). Prints emails/s and
latency percentiles; composition alone is measured too.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from aiosmtpd.controller import Controller  # noqa: E402
from kude_samples import ten_item_invoice  # noqa: E402

from sifenflow_common.artifacts import InMemoryArtifactStore  # noqa: E402
from sifenflow_common.eventstore.memory import InMemoryEventStore  # noqa: E402
from sifenflow_common.kude.render import render_kude  # noqa: E402
from sifenflow_common.messages.envelope import Envelope, document_stream  # noqa: E402
from sifenflow_common.messages.events import DocumentApproved, DocumentSigned  # noqa: E402
from sifenflow_common.messages.registry import default_registry  # noqa: E402
from sifenflow_common.runtime.consumer import Consumer  # noqa: E402
from sifenflow_common.runtime.logging import configure_logging  # noqa: E402
from sifenflow_common.sifen.xml_read import read_rde  # noqa: E402
from sifenflow_common.tenants.mail import MailSettings, SmtpConfig  # noqa: E402
from sifenflow_common.testing.ports import free_port  # noqa: E402
from sifenflow_mailer.compose import compose_document_email  # noqa: E402
from sifenflow_mailer.handlers import MailerDeps, handler_table  # noqa: E402
from sifenflow_mailer.service import SmtpTransport  # noqa: E402
from sifenflow_mailer.smtp import SmtpSettings, send_email  # noqa: E402


class _Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
        self.count += 1
        return "250 OK"


def _report(label: str, latencies: list[float]) -> None:
    q = statistics.quantiles(latencies, n=100)
    print(
        f"{label:<32} {len(latencies) / sum(latencies):8.1f} emails/s   p50 {q[49] * 1e3:7.2f} ms  "
        f"p95 {q[94] * 1e3:7.2f} ms  p99 {q[98] * 1e3:7.2f} ms  (n={len(latencies)})"
    )


async def _send_loop(xml: bytes, pdf: bytes, settings: SmtpSettings, seconds: float) -> list[float]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        composed = compose_document_email(
            xml, pdf, sender="facturas@ejemplo.com.py", recipients=["a@b.com.py"]
        )
        await send_email(composed.message, settings, recipients=composed.recipients)
        latencies.append(time.perf_counter() - t0)
    return latencies


class _Settings:
    def __init__(self, port: int) -> None:
        self.smtp = SmtpConfig(host="127.0.0.1", port=port, security="none", from_address="f@ejemplo.com.py")

    async def mail_settings(self, tenant_id: Any) -> MailSettings:
        return MailSettings(tenant_id=tenant_id, environment="test", smtp=self.smtp, kude_eager=False)


class _CachedPdf:
    def __init__(self, pdf: bytes) -> None:
        self._pdf = pdf

    async def pdf(self, tenant_id: Any, document_id: Any, signed_xml: bytes, *, environment: Any) -> bytes:
        return self._pdf  # cache hit: the KuDE was rendered at approval (eager) or by an earlier email


async def _service_loop(xml: bytes, pdf: bytes, port: int, seconds: float) -> list[float]:
    """The mailer's handler behind the consumer (in-memory store): approval → email → kude.emailed."""
    import uuid

    store, artifacts, registry = InMemoryEventStore(), InMemoryArtifactStore(), default_registry()
    deps = MailerDeps(store, artifacts, registry, _Settings(port), _CachedPdf(pdf), SmtpTransport())
    consumer = Consumer(store, handler_table(deps), consumer="mailer", producer="bench", registry=registry)
    sha = await artifacts.put(xml, "application/xml")
    cdc = read_rde(xml).cdc
    tenant = uuid.uuid4()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        document_id = uuid.uuid4()
        stream = document_stream(document_id)
        signed = DocumentSigned(document_id=document_id, cdc=cdc, signed_xml_sha256=sha, qr_url="q")
        approved = DocumentApproved(document_id=document_id, cdc=cdc, sifen_code="0260", sifen_message="ok")
        envs = [Envelope.wrap(e, tenant_id=tenant, producer="bench") for e in (signed, approved)]
        await store.append(stream, 0, envs, publish=False)
        t0 = time.perf_counter()
        await consumer(envs[-1].at(stream, 2))
        latencies.append(time.perf_counter() - t0)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    configure_logging("WARNING")  # one log line per email would drown the figures
    xml = ten_item_invoice()
    pdf = render_kude(xml)
    compose_latencies: list[float] = []
    deadline = time.perf_counter() + min(args.seconds, 2)
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        compose_document_email(
            xml, pdf, sender="facturas@ejemplo.com.py", recipients=["a@b.com.py"]
        ).message.as_bytes()
        compose_latencies.append(time.perf_counter() - t0)
    _report("compose (to bytes)", compose_latencies)
    port = free_port()
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = SmtpSettings(host="127.0.0.1", port=port, security="none")
        latencies = asyncio.run(_send_loop(xml, pdf, settings, args.seconds))
        service = asyncio.run(_service_loop(xml, pdf, port, args.seconds))
    finally:
        controller.stop()
    _report("compose + send (aiosmtpd)", latencies)
    _report("mailer handler (approval→sent)", service)
    print(f"server received {sink.count} messages, {len(pdf) + len(xml)} attachment bytes each")


if __name__ == "__main__":
    main()
