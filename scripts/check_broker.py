"""Exit 0 when the broker at AMQP_URL really works: declare, use and delete a quorum queue.

A TCP port that accepts connections is not enough: a RabbitMQ node replaying a damaged quorum
store accepts connections but never answers a quorum-queue declaration.
`scripts/setup-test-env.sh` (run by `make test`) uses this probe before the tests.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid

import aio_pika


async def probe(url: str) -> None:
    connection = await aio_pika.connect(url, timeout=10)
    async with connection:
        channel = await connection.channel()
        name = f"ci.probe.{uuid.uuid4().hex[:8]}"
        queue = await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        await channel.default_exchange.publish(aio_pika.Message(b"probe"), routing_key=name)
        message = None
        for _ in range(50):
            message = await queue.get(no_ack=True, fail=False)
            if message is not None:
                break
            await asyncio.sleep(0.1)
        await queue.delete(if_unused=False, if_empty=False)
        if message is None or message.body != b"probe":
            raise RuntimeError("the probe message did not come back")


def main() -> int:
    url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    try:
        asyncio.run(asyncio.wait_for(probe(url), seconds))
    except Exception as exc:  # any failure means "not usable"
        print(f"broker probe failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("broker probe ok: quorum queue declared, used and deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
