"""Every SIFEN call reaches the client's observer with its operation and outcome code, which the
sender feeds into ``sifenflow_sifen_request_seconds{operation, code}``: an answer's dCodRes
(MT v150 §7.10 rResEnviConsRUC: 0502 found, 0500 unknown), a refusal's code, or the transport
problem when SIFEN gave no usable answer."""

from __future__ import annotations

import pytest

from sifenflow_common.runtime.metrics import Metrics
from sifenflow_common.sifen_client import SifenClient, SifenClientConfig, SifenTransportError
from sifenflow_common.testing.ports import free_port

from .conftest import StartSim

pytestmark = pytest.mark.contract


def _count(metrics: Metrics, operation: str, code: str) -> float | None:
    return metrics.registry.get_sample_value(
        "sifenflow_sifen_request_seconds_count", {"operation": operation, "code": code}
    )


async def test_latency_is_recorded_per_operation_and_response_code(start_sim: StartSim) -> None:
    sim = await start_sim()
    metrics = Metrics("sender")

    def observe(operation: str, code: str, seconds: float) -> None:
        metrics.sifen_latency.labels(operation, code).observe(seconds)

    async with SifenClient(SifenClientConfig(base_url=sim.base_url), observer=observe) as client:
        await client.consulta_ruc("80069563")
        await client.consulta_ruc("80069563")
        await client.consulta_ruc("1234567")
    assert _count(metrics, "rEnviConsRUC", "0502") == 2
    assert _count(metrics, "rEnviConsRUC", "0500") == 1
    total = metrics.registry.get_sample_value(
        "sifenflow_sifen_request_seconds_sum", {"operation": "rEnviConsRUC", "code": "0502"}
    )
    assert total is not None and total > 0

    closed = f"http://127.0.0.1:{free_port()}"
    async with SifenClient(SifenClientConfig(base_url=closed), observer=observe) as client:
        with pytest.raises(SifenTransportError):
            await client.consulta_de("0" * 44)
    assert _count(metrics, "rEnviConsDeRequest", "connect") == 1
