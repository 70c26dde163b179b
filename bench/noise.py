"""How much CPU other processes took during a run: the figures' noise on a shared machine.

Busy CPU time of the whole system (/proc/stat) minus that of the benchmark's own
processes (this harness with wrk and pgbench it waited for, the servers, PostgreSQL
with its backends, live or reaped) is what something else used meanwhile.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psutil

TICKS = os.sysconf("SC_CLK_TCK")


def system_busy_seconds() -> float:
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    # user nice system idle iowait irq softirq steal ...: idle and iowait are not busy
    values = [int(v) for v in fields[:8]]
    return (sum(values) - values[3] - values[4]) / TICKS


def _tree_seconds(pid: int) -> float:
    """CPU seconds of a process, its reaped children and its live descendants."""
    try:
        root = psutil.Process(pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            try:
                t = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += t.user + t.system + t.children_user + t.children_system
        return total
    except psutil.NoSuchProcess:
        return 0.0


@dataclass
class Meter:
    """Own processes: the roots whose trees count as the benchmark's."""

    pids: list[int]

    def _own(self) -> float:
        return _tree_seconds(os.getpid()) + sum(_tree_seconds(p) for p in self.pids)

    def start(self) -> tuple[float, float, float]:
        return (time.monotonic(), system_busy_seconds(), self._own())

    def other_cpu_share(self, started: tuple[float, float, float]) -> float:
        """Mean number of CPUs other processes kept busy since ``started`` (0.25 = 25%)."""
        t0, busy0, own0 = started
        elapsed = time.monotonic() - t0
        other = (system_busy_seconds() - busy0) - (self._own() - own0)
        return max(0.0, other / elapsed) if elapsed > 0 else 0.0

    def wait_quiet(self, limit_s: float, threshold: float, window_s: float = 2.0) -> float:
        """Wait (up to ``limit_s``) for a window in which others use < ``threshold`` CPUs.

        Returns the share seen in the last window. Test suites and builds come in bursts;
        starting a run in a lull keeps more of it clean.
        """
        deadline = time.monotonic() + limit_s
        while True:
            started = self.start()
            time.sleep(window_s)
            share = self.other_cpu_share(started)
            if share < threshold or time.monotonic() >= deadline:
                return share
