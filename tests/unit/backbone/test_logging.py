"""Logs are JSON lines carrying the ids of the message being handled (style §8)."""

from __future__ import annotations

import json
import uuid
from typing import ClassVar

import pytest
import structlog

from sifenflow_common.messages import Envelope, Event
from sifenflow_common.runtime.logging import bound_to, configure_logging

pytestmark = pytest.mark.unit


class Logged(Event):
    TYPE: ClassVar[str] = "test.logged"


def test_log_lines_are_json_with_message_correlation_and_tenant(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("INFO", json=True, service="signer")
    env = Envelope.wrap(Logged(), tenant_id=uuid.uuid4(), producer="t/1")
    with bound_to(env):
        structlog.get_logger("t").info("firmado", cdc="0" * 44)
    structlog.get_logger("t").info("fuera")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    inside, outside = lines[-2], lines[-1]
    assert inside["event"] == "firmado" and inside["level"] == "info" and inside["service"] == "signer"
    assert inside["message_id"] == str(env.message_id)
    assert inside["correlation_id"] == str(env.correlation_id)
    assert inside["tenant_id"] == str(env.tenant_id) and inside["type"] == "test.logged"
    assert "message_id" not in outside
