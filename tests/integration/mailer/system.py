"""The whole system in this process for the mailer integration tests: ``sifenflow run``'s
``start()`` (gateway, store, builder, signer, sender, kude, mailer, SIFEN simulator) on the real
PostgreSQL of this machine (a fresh database) and either the in-process bus or the real RabbitMQ
(a fresh queue prefix), plus a real SMTP server (aiosmtpd) on loopback whose answers a test can
script per recipient: ``noexiste@…`` → 550 at RCPT, ``defer[address] = n`` → 451 at DATA n times.
"""

from __future__ import annotations

import contextlib
import email
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
from aiosmtpd.controller import Controller
from pydantic import SecretStr

from sifenflow_common.bus.rabbit import PARKING_QUEUE
from sifenflow_common.runtime.settings import Settings
from sifenflow_common.sifen.test_ca import ensure_test_ca
from sifenflow_common.testing import pg
from sifenflow_common.testing.ports import free_port
from sifenflow_standalone.app import StandaloneConfig, start
from sifenflow_standalone.demo import demo_tenant_body

AMQP_URL = os.environ.get("SIFENFLOW_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
DB_PREFIX = "sifenflow_mail_"
SUBSCRIPTIONS = {
    "builder": ("document.requested",),
    "signer": ("document.built",),
    "sender": ("document.signed", "lote.submission_started", "lote.poll", "lote.reconcile"),
    "kude": ("document.approved",),
    "mailer": ("document.approved", "kude.email_requested", "document.cancelled"),
    "notifier": (),
}


@dataclass
class ScriptedSmtp:
    """aiosmtpd handler: records every accepted message; 550 for ``noexiste@``; 451 at DATA while
    ``defer[recipient]`` is positive (RFC 5321 §4.2.1: 4yz transient, 5yz permanent)."""

    messages: list[tuple[tuple[str, ...], EmailMessage]] = field(default_factory=list)
    defer: dict[str, int] = field(default_factory=dict)
    deferred: dict[str, int] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("noexiste@"):
            return "550 5.1.1 Buzón inexistente"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for address in envelope.rcpt_tos:
            if self.defer.get(address, 0) > 0:
                self.defer[address] -= 1
                self.deferred[address] = self.deferred.get(address, 0) + 1
                return "451 4.3.0 Sistema ocupado, intente más tarde"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((tuple(envelope.rcpt_tos), message))
        return "250 Mensaje aceptado"

    def for_cdc(self, cdc: str) -> list[tuple[tuple[str, ...], EmailMessage]]:
        return [(to, m) for to, m in self.messages if m["X-Sifenflow-CDC"] == cdc]


@dataclass
class System:
    bus: str
    url: str
    master_key: str
    dsn: str
    smtp: ScriptedSmtp
    smtp_port: int
    tenant_id: str
    keys: dict[str, str]  # slug → API key

    def auth(self, slug: str = "demo") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[slug]}"}

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.master_key}"}


async def _delete_queues(prefix: str, retry_delays: set[int]) -> None:
    from sifenflow_common.bus.topology import Topology

    topology = Topology(prefix)
    names = [prefix + PARKING_QUEUE]
    for service, types in SUBSCRIPTIONS.items():
        for message_type in types:
            queue = topology.queue(service, message_type)
            names += [queue, *(topology.retry_queue(queue, d) for d in retry_delays)]
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        for name in names:
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.queue_delete(name)
        for exchange in (topology.events_exchange, topology.commands_exchange):
            with contextlib.suppress(aio_pika.exceptions.AMQPError):
                await channel.exchange_delete(exchange)


@contextlib.asynccontextmanager
async def running_system(bus: str, tmp: Path) -> AsyncIterator[System]:
    smtp = ScriptedSmtp()
    controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
    controller.start()
    name = await pg.create_database(DB_PREFIX)
    dsn = pg.dsn_for(name)
    master = secrets.token_urlsafe(24)
    prefix = f"mailtest.{uuid.uuid4().hex[:8]}."
    settings = Settings(
        database_url=dsn,
        amqp_url=AMQP_URL if bus == "rabbit" else None,
        master_key=SecretStr(master),
        bus_prefix=prefix,
        retry_max_attempts=5,
        retry_base_delay_ms=100,
        retry_backoff=2.0,
        log_level="WARNING",
    )
    port = free_port()
    running = None
    try:
        running = await start(
            settings, StandaloneConfig(port=port, sim_port=free_port(), data_dir=tmp / "data")
        )
        system = System(
            bus=bus,
            url=running.gateway_url,
            master_key=master,
            dsn=dsn,
            smtp=smtp,
            smtp_port=controller.port,
            tenant_id=str(running.tenant.id),
            keys={"demo": running.api_key},
        )
        async with aiohttp.ClientSession() as session:
            body = demo_tenant_body(ensure_test_ca(tmp / "data" / "test-ca"), slug="otra", ruc="80002201-7")
            async with session.post(f"{system.url}/admin/tenants", json=body, headers=system.admin()) as r:
                assert r.status == 201, await r.text()
                other = (await r.json())["result"]["id"]
            async with session.post(
                f"{system.url}/admin/tenants/{other}/apikeys", json={"role": "admin"}, headers=system.admin()
            ) as r:
                assert r.status == 201, await r.text()
                system.keys["otra"] = (await r.json())["result"]["token"]
        yield system
    finally:
        if running is not None:
            await running.stop()
        controller.stop()
        await pg.drop_database(name)
        if bus == "rabbit":
            await _delete_queues(prefix, set(settings.retry_policy.delays_ms()))


def invoice(email_list: str | None) -> dict[str, Any]:
    """A one-item FE of the demo emisor (sync de/create) with the receptor's email list."""
    cliente: dict[str, Any] = {
        "contribuyente": True,
        "ruc": "80069563-1",
        "razonSocial": "Cliente de prueba SA",
        "tipoOperacion": 1,
        "tipoContribuyente": 2,
        "pais": "PRY",
        "paisDescripcion": "Paraguay",
    }
    if email_list is not None:
        cliente["email"] = email_list
    return {
        "tipoDocumento": 1,
        "establecimiento": "001",
        "punto": "001",
        "tipoEmision": 1,
        "tipoTransaccion": 1,
        "tipoImpuesto": 1,
        "moneda": "PYG",
        "cliente": cliente,
        "factura": {"presencia": 1},
        "condicion": {"tipo": 1, "entregas": [{"tipo": 1, "monto": 110000, "moneda": "PYG"}]},
        "items": [
            {
                "codigo": "SRV-1",
                "descripcion": "Servicio de soporte",
                "unidadMedida": 77,
                "cantidad": 1,
                "precioUnitario": 110000,
                "ivaTipo": 1,
                "ivaBase": 100,
                "iva": 10,
            }
        ],
    }
