"""Outbox writer: queue envelopes in the caller's transaction; the relay publishes them later."""

from __future__ import annotations

import json
from collections.abc import Sequence
from uuid import UUID

import asyncpg

from sifenflow_common.bus.topology import Topology
from sifenflow_common.messages.envelope import Envelope

_INSERT = """
INSERT INTO outbox (message_id, exchange, routing_key, headers, body)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::bytea[])
ON CONFLICT (message_id) DO NOTHING
"""


def amqp_headers(envelope: Envelope) -> dict[str, str]:
    return {
        "x-tenant-id": str(envelope.tenant_id),
        "x-correlation-id": str(envelope.correlation_id),
        "x-schema-version": str(envelope.schema_version),
    }


OutboxColumns = tuple[list[UUID], list[str], list[str], list[str], list[bytes]]


def columns(envelopes: Sequence[Envelope], topology: Topology) -> OutboxColumns:
    """The outbox rows of ``envelopes`` as column arrays (message_id, exchange, key, headers, body)."""
    cols: OutboxColumns = ([], [], [], [], [])
    for env in envelopes:
        exchange, key = topology.route(env)
        cols[0].append(env.message_id)
        cols[1].append(exchange)
        cols[2].append(key)
        cols[3].append(json.dumps(amqp_headers(env)))
        cols[4].append(env.to_bytes())
    return cols


async def add(conn: asyncpg.Connection, envelopes: Sequence[Envelope], topology: Topology) -> None:
    """Insert outbox rows (idempotent by message_id); must run inside the caller's transaction."""
    if envelopes:
        await conn.execute(_INSERT, *columns(envelopes, topology))
