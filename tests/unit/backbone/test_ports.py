"""Test servers' ports: never from the kernel's ephemeral range, never the same twice."""

from __future__ import annotations

import socket

import pytest

from sifenflow_common.testing.ports import FIRST_PORT, LAST_PORT, free_port

pytestmark = pytest.mark.unit


def test_free_ports_are_below_the_ephemeral_range_distinct_and_bindable() -> None:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_first = int(f.read().split()[0])
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert all(FIRST_PORT <= p <= LAST_PORT < ephemeral_first for p in ports)
    with socket.socket() as s:
        s.bind(("127.0.0.1", ports[0]))  # still free: nothing was left listening on it
