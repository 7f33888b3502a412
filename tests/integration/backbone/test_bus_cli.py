"""A failing handler on real RabbitMQ is retried, parked with its error, listed by
``sifenflow bus parked`` and sent back by ``--requeue``."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import ClassVar

import pytest
from click.testing import CliRunner

from sifenflow_cli.main import cli
from sifenflow_common.messages import Command, Envelope
from sifenflow_common.testing import eventually
from tests.backbone_support import AMQP_URL, FAST_RETRY, new_topology, start_rabbit

pytestmark = pytest.mark.integration


class SendThing(Command):
    TYPE: ClassVar[str] = "test.send_thing"
    n: int


async def cli_run(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, cli, list(args))
    return result.exit_code, result.stdout, result.stderr


async def test_parked_listing_and_requeue() -> None:
    topology = new_topology()
    bus = await start_rabbit(topology)
    attempts: list[int] = []
    fixed = asyncio.Event()
    handled: list[uuid.UUID] = []

    async def handler(env: Envelope) -> None:
        attempts.append(env.payload["n"])
        if not fixed.is_set():
            raise RuntimeError("SIFEN_NO_DISPONIBLE: timeout")
        handled.append(env.message_id)

    try:
        await bus.subscribe("sender", ["test.send_thing"], handler)
        sent = Envelope.wrap(SendThing(n=4), tenant_id=uuid.uuid4(), producer="t/1")
        await bus.publish(sent)
        await eventually(lambda: len(attempts) == FAST_RETRY.max_attempts, timeout=10)

        async def listed() -> list[dict[str, object]]:
            code, out, err = await cli_run(
                "bus", "parked", "--amqp-url", AMQP_URL, "--prefix", topology.prefix, "--json"
            )
            assert code == 0, err
            return [json.loads(line) for line in out.splitlines()]

        rows = await eventually(listed, timeout=10)
        assert len(rows) == 1
        assert rows[0]["message_id"] == str(sent.message_id)
        assert rows[0]["queue"] == f"{topology.prefix}sender.test.send_thing"
        assert rows[0]["attempts"] == FAST_RETRY.max_attempts
        assert "SIFEN_NO_DISPONIBLE" in str(rows[0]["error"])
        assert handled == []

        fixed.set()
        code, _, err = await cli_run(
            "bus", "parked", "--amqp-url", AMQP_URL, "--prefix", topology.prefix, "--requeue"
        )
        assert code == 0 and "1 reenviados" in err
        await eventually(lambda: handled == [sent.message_id], timeout=10)
        assert await bus.parked() == []
    finally:
        await bus.stop_consuming()
        await bus.delete_declared()
        await bus.close()
