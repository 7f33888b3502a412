"""CPU seconds per component of the running system, read from /proc (Linux only).

Groups every process on the machine: our services by their ``sifenflow serve X`` / ``sim`` command
line, PostgreSQL (``postgres``), RabbitMQ (``beam.smp``) and everything else. Sampled before and
after a run, the difference says which part of the system spent the CPU.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _component(pid: str) -> str | None:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None
    args = [a.decode(errors="replace") for a in cmdline if a]
    if "serve" in args:
        return args[args.index("serve") + 1] if args.index("serve") + 1 < len(args) else "serve"
    if "sifenflow_cli.main" in args and "sim" in args:
        return "sim"
    if "sifenflow_cli.main" in args and "run" in args:
        return "standalone"
    if comm.startswith("postgres") or comm.startswith("postmaster"):
        return "postgres"
    if comm.startswith("beam.smp") or comm.startswith("erl_child"):
        return "rabbitmq"
    if any("multiprocessing" in a for a in args):
        return "subprocess pools"  # e.g. the simulator's signature verification workers
    if any(a.endswith("bench_e2e.py") for a in args):
        return "bench"
    return None


def _cpu(pid: str) -> float:
    """User + system CPU of the process and of its waited-for children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime + cutime + cstime) / _TICKS


def sample() -> Counter[str]:
    """CPU seconds so far per component (processes that exited meanwhile are lost: sample often
    enough, or keep the services running across the samples, as the benchmarks do)."""
    totals: Counter[str] = Counter()
    for pid in os.listdir("/proc"):
        if pid.isdigit() and (component := _component(pid)) is not None:
            totals[component] += _cpu(pid)
    return totals


def report(before: Counter[str], after: Counter[str], documents: int) -> str:
    """One line: CPU ms per document per component, biggest first."""
    delta = {k: after[k] - before.get(k, 0.0) for k in after}
    parts = [
        f"{k} {v * 1000 / documents:.1f}" for k, v in sorted(delta.items(), key=lambda kv: -kv[1]) if v > 0
    ]
    total = sum(v for v in delta.values() if v > 0) * 1000 / documents
    return f"CPU ms/doc: total {total:.1f} = " + ", ".join(parts)
