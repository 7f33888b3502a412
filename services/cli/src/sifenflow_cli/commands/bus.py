"""``sifenflow bus parked [--queue Q] [--requeue] [--json]``: parked messages and their errors."""

from __future__ import annotations

import asyncio
import json
import sys

import click

from sifenflow_common.bus.ports import ParkedMessage
from sifenflow_common.bus.rabbit import RabbitBus
from sifenflow_common.runtime.settings import load_settings


@click.group(name="bus")
def command() -> None:
    """Bus de mensajes (RabbitMQ): mensajes estacionados."""


def _as_dict(p: ParkedMessage) -> dict[str, object]:
    return {
        "queue": p.queue,
        "message_id": p.message_id,
        "type": p.message_type,
        "tenant_id": str(p.envelope.tenant_id) if p.envelope else None,
        "attempts": p.attempts,
        "error": p.error,
        "parked_at": p.parked_at.isoformat(),
    }


async def _run(
    url: str, prefix: str, queues: list[str] | None, requeue: bool
) -> tuple[list[ParkedMessage], int]:
    settings = load_settings(amqp_url=url, bus_prefix=prefix)
    bus = RabbitBus(url, topology=settings.topology, connection_name="sifenflow-cli")
    await bus.start()
    try:
        parked = await bus.parked(queues)
        sent = await bus.requeue_parked(queues) if requeue else 0
        return parked, sent
    finally:
        await bus.close()


@command.command(name="parked")
@click.option("--amqp-url", envvar="AMQP_URL", required=True, help="URL de RabbitMQ (por defecto AMQP_URL).")
@click.option("--prefix", envvar="BUS_PREFIX", default="", help="Prefijo de colas e intercambios.")
@click.option("--queue", "queues", multiple=True, help="Solo mensajes de esta cola (repetible).")
@click.option("--requeue", is_flag=True, help="Reenvía los mensajes a su cola con intentos nuevos.")
@click.option("--json", "as_json", is_flag=True, help="Una línea JSON por mensaje.")
def parked_command(amqp_url: str, prefix: str, queues: tuple[str, ...], requeue: bool, as_json: bool) -> None:
    """Lista los mensajes estacionados tras agotar sus reintentos, con su error."""
    try:
        parked, sent = asyncio.run(_run(amqp_url, prefix, list(queues) or None, requeue))
    except RuntimeError as exc:
        click.echo(
            json.dumps({"code": "BUS_NO_DISPONIBLE", "message": str(exc)}, ensure_ascii=False), err=True
        )
        sys.exit(1)
    for p in parked:
        if as_json:
            click.echo(json.dumps(_as_dict(p), ensure_ascii=False))
        else:
            click.echo(f"{p.parked_at:%Y-%m-%d %H:%M:%S} {p.queue} {p.message_type} {p.message_id} "
                       f"intentos={p.attempts} error={p.error}")  # fmt: skip
    click.echo(f"{len(parked)} mensajes estacionados" + (f"; {sent} reenviados" if requeue else ""), err=True)
