"""TCP ports for servers that tests and benchmarks start on loopback.

Binding port 0 and closing the socket yields a port of the kernel's ephemeral range, which it hands
out again to the next port-0 bind or outgoing connection: a server started a moment later may find
its port taken (seen in CI: a service's health endpoint got the port just chosen for the gateway).
These ports come from below the ephemeral range (32768-60999 on Linux), which the kernel never
assigns on its own, and one process never gets the same port twice.
"""

from __future__ import annotations

import random
import socket
import threading

FIRST_PORT, LAST_PORT = 20_000, 32_000
_issued: set[int] = set()
_lock = threading.Lock()


def free_port() -> int:
    """A loopback port nothing listens on, outside the ephemeral range, not issued before."""
    with _lock:
        for _ in range(500):
            port = random.randint(FIRST_PORT, LAST_PORT)
            if port in _issued:
                continue
            with socket.socket() as probe:
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _issued.add(port)
            return port
    raise RuntimeError(f"no free port between {FIRST_PORT} and {LAST_PORT}")
