"""Start-up heap frozen out of later garbage collections (``runtime.memory``; issue 7 item 6).

``gc.freeze()`` acts on the whole process, so the freeze itself runs in a child interpreter; in
this process it is replaced by a recorder to check *when* ``run_service`` calls it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from sifenflow_common.runtime import memory, service
from sifenflow_common.runtime.service import ServiceDeps, ServicePlan, run_service
from sifenflow_common.runtime.settings import Settings

pytestmark = pytest.mark.unit

CHILD = """
import gc, json
from sifenflow_common.runtime.memory import freeze_startup_heap
import sifenflow_common.kude.render  # a realistic start-up heap: weasyprint and our modules
before = gc.get_freeze_count()
frozen = freeze_startup_heap()
young = [[] for _ in range(1000)]  # made after the freeze: collected as usual
print(json.dumps({"before": before, "frozen": frozen, "count": gc.get_freeze_count()}))
"""


def test_the_start_up_heap_is_frozen_in_a_fresh_interpreter() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["before"] == 0
    assert result["frozen"] == result["count"] > 20_000
    assert "start-up heap frozen" in done.stdout + done.stderr


async def test_run_service_freezes_once_the_service_has_started(
    monkeypatch: pytest.MonkeyPatch, restore_logging: None
) -> None:
    events: list[str] = []

    def build(_: Settings, deps: ServiceDeps) -> ServicePlan:
        events.append("built")
        return ServicePlan()

    def freeze() -> int:
        events.append("frozen")
        os.kill(os.getpid(), signal.SIGTERM)  # run_service's own handler stops it
        return 0

    monkeypatch.setattr(service, "freeze_startup_heap", freeze)
    settings = Settings(service_name="frozen", http_port=0, database_url=None, amqp_url=None)
    await run_service(settings, build)
    assert events == ["built", "frozen"]
    assert memory.freeze_startup_heap is not freeze
