"""A million petitions audited: ``python -m bench.audit_million [--petitions 1000000]
[--scale 0.1] [--rounds 3] [--without-indexes] [--data-dir DIR [--load-only]]``.

On a scratch database (an embedded PostgreSQL in a temporary directory): the demo seed at
``--scale`` (areas, households, residents, and its own petitions), twelve months of
monthly reports for every village (as bench/audit.py), then ``--petitions`` more
petitions with their histories, written set-based as the database owner: one
``INSERT ... SELECT generate_series`` for the petitions and one for their events. Writing
as the owner is the operators' import path of migration 0005 (a petition may go in in any
state its checks allow, with the history it brings): every row still passes the tables'
constraints and the petition's insert trigger. Only the events' NOTIFY trigger is off
during the load (millions of notifications in one transaction, nobody listening).

The petitions' lives (by ``g % 200``): 3% rejected, 1% still in progress, 0.5% triaged
and waiting for an assignee, 5% resolved without feedback, the rest resolved, rated and
closed; those received in the last four days are still in progress. About 1% are open
past their due date (P4 warnings) and 0.5% unassigned (P5), so findings are stored too.

Each check's query is timed alone first (a sharded one also as its shards at once,
``GONGZHI_AUDIT_SHARDS`` of them, default the machine's cores). Then ``gongzhi audit
run`` (every suite) and ``gongzhi audit run --suite petitions``,
``--rounds`` times each, timed as whole CLI processes and as stored (the run's
started_at..finished_at: Great Expectations and the queries), with the median; and the
per-check seconds of the last full run. ``--without-indexes`` repeats the petitions suite
with migration 0010's indexes dropped (the "before"). Figures go to docs/performance.md,
each with the load average (the machine is shared).

``--data-dir DIR`` keeps the scratch server's data in DIR: the first run loads it (about
ten minutes), later runs with the same DIR only measure (``--load-only``: load, measure
nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.audit import REPORTS  # noqa: E402
from db import embedded, migrate  # noqa: E402
from validation import audit  # noqa: E402
from validation.audit_suite import (  # noqa: E402
    SHARD_KEYS,
    AuditCheck,
    AuditSuite,
    Scope,
    bind,
    load_audit_suites,
    shard_ranges,
)

# the audit's own session settings (validation/audit_worker.py CONNECTION_OPTIONS)
SESSION = {"max_parallel_workers_per_gather": "0", "timezone": "UTC", "work_mem": "64MB"}

HOUSEHOLDS = """
CREATE TEMP TABLE bench_household AS
SELECT row_number() OVER (ORDER BY h.id) - 1 AS k, h.id, h.area_id,
       (SELECT r.id FROM resident r WHERE r.household_id = h.id AND r.relation = 'self'
         LIMIT 1) AS head
  FROM household h
"""

# One row per petition; its life decided by g % 200 and its age.
PETITIONS = """
INSERT INTO petition (area_id, category_id, channel, status, triage, triage_reason,
    triaged_by, triaged_at, submitter_id, household_id, description, assignee_kind,
    assignee_name, assigned_at, due_date, reject_reason, satisfaction, received_at,
    resolved_at, ended_at, feedback_at, closed_at, version, submitted_by, created_at,
    updated_at)
SELECT h.area_id, 1 + g % 20, 'walk_in', s.status::petition_status,
       CASE WHEN s.status <> 'rejected' THEN 'minor'::triage_class END,
       CASE WHEN s.status <> 'rejected' THEN '属社区公共事务' END,
       CASE WHEN s.status <> 'rejected' THEN 'bench' END,
       CASE WHEN s.status <> 'rejected' THEN t.received + interval '2 hours' END,
       h.head, h.id, '楼道灯坏了',
       CASE WHEN s.status NOT IN ('rejected', 'triaged')
            THEN 'residents_committee'::responsible_kind END,
       CASE WHEN s.status NOT IN ('rejected', 'triaged') THEN '居委会' END,
       CASE WHEN s.status NOT IN ('rejected', 'triaged') THEN t.received + interval '5 hours' END,
       t.local_day + 10,
       CASE WHEN s.status = 'rejected' THEN '不属于受理范围' END,
       CASE WHEN s.status = 'closed' THEN 'satisfied'::satisfaction_level END,
       t.received,
       CASE WHEN s.status IN ('resolved', 'closed') THEN t.received + interval '50 hours' END,
       CASE WHEN s.status IN ('resolved', 'closed') THEN t.received + interval '50 hours'
            WHEN s.status = 'rejected' THEN t.received + interval '10 hours' END,
       CASE WHEN s.status = 'closed' THEN t.received + interval '70 hours' END,
       CASE WHEN s.status = 'closed' THEN t.received + interval '80 hours' END,
       1, 'bench', t.received, t.received
  FROM generate_series(1, $1::int) AS g
  JOIN bench_household h ON h.k = g % (SELECT count(*) FROM bench_household)
 CROSS JOIN LATERAL (
       SELECT TIMESTAMPTZ '2026-11-20 10:00+08'
              - ((g::bigint * 7919) % (548 * 1440)) * interval '1 minute' AS received) r
 CROSS JOIN LATERAL (
       SELECT r.received, (r.received AT TIME ZONE 'Asia/Shanghai')::date AS local_day) t
 CROSS JOIN LATERAL (
       SELECT CASE WHEN g % 200 < 6 THEN 'rejected'
                   WHEN g % 200 < 8 OR t.received > now() - interval '4 days' THEN 'in_progress'
                   WHEN g % 200 = 8 THEN 'triaged'
                   WHEN g % 200 < 19 THEN 'resolved'
                   ELSE 'closed' END AS status) s
"""

# Each petition's history from its row, in lifecycle order (ids follow it).
EVENTS = """
INSERT INTO petition_event (petition_id, area_path, at, kind, from_status, to_status,
    visibility, actor, actor_role)
SELECT p.id, p.area_path, x.at, x.kind::petition_event_kind, x.f::petition_status,
       x.t::petition_status, 'public', 'bench', 'operator'
  FROM petition p
 CROSS JOIN LATERAL (VALUES
       (1, p.received_at, 'submitted', NULL, 'received'),
       (2, CASE WHEN p.status = 'rejected' THEN p.ended_at END, 'rejected', 'received', 'rejected'),
       (3, p.triaged_at, 'triaged', 'received', 'triaged'),
       (4, p.assigned_at, 'assigned', 'triaged', 'assigned'),
       (5, CASE WHEN p.status IN ('in_progress', 'resolved', 'closed')
                THEN p.assigned_at + interval '6 hours' END,
           'in_progress', 'assigned', 'in_progress'),
       (6, p.resolved_at, 'resolved', 'in_progress', 'resolved'),
       (7, p.feedback_at, 'feedback', 'resolved', 'feedback'),
       (8, p.closed_at, 'closed', 'feedback', 'closed')) AS x(n, at, kind, f, t)
 WHERE p.submitted_by = 'bench' AND x.at IS NOT NULL
 ORDER BY p.id, x.n
"""

INDEXES_0010 = (
    "petition_event_recorded",
    "petition_event_resolved",
    "petition_event_feedback",
    "petition_open_due",
    "petition_triaged_at",
)


def cli(env: dict[str, str], *args: str) -> tuple[float, int]:
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "gongzhi", *args], env=env, capture_output=True, text=True
    )
    if proc.returncode not in (0, 1):
        print(proc.stderr[-2000:], file=sys.stderr)
    return time.perf_counter() - t, proc.returncode


async def fetch(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def last_runs(url: str, n: int) -> list[asyncpg.Record]:
    return await fetch(
        url,
        """SELECT extract(epoch FROM finished_at - started_at)::float8 AS took, findings
             FROM audit_run ORDER BY seq DESC LIMIT $1""",
        n,
    )


def measure(env: dict[str, str], url: str, label: str, rounds: int, *args: str) -> None:
    wall = []
    for _ in range(rounds):
        seconds, code = cli(env, "audit", "run", "--format", "json", *args)
        wall.append(seconds)
        print(
            f"  {label}: CLI {seconds:.1f} s (exit {code}, load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    stored = asyncio.run(last_runs(url, rounds))
    took = [r["took"] for r in stored]
    print(
        f"{label}: median CLI {statistics.median(wall):.1f} s "
        f"(min {min(wall):.1f}, max {max(wall):.1f}); median run {statistics.median(took):.2f} s "
        f"(min {min(took):.2f}, max {max(took):.2f}); findings {stored[0]['findings']:,}",
        flush=True,
    )


async def per_check(url: str) -> None:
    for r in await fetch(
        url,
        """SELECT suite, rule, round(seconds::numeric, 2) AS s, failing FROM audit_check
            WHERE run_id = (SELECT id FROM audit_run ORDER BY seq DESC LIMIT 1)
            ORDER BY position""",
    ):
        print(f"    {r['suite']} {r['rule']}: {r['s']} s, {r['failing']:,} failing")


async def per_query(url: str, suites: list[str], rounds: int) -> None:
    """Each check's query alone (Great Expectations reports a suite's time as one), timed
    over asyncpg in the audit's session settings (no parallel plans): the median of
    ``rounds``; a sharded check also as the audit runs it, its shards at once on
    separate connections."""
    shards = audit.settings()[1]
    conn = await asyncpg.connect(url, server_settings=SESSION)
    try:
        for suite in load_audit_suites(suites):
            for check in suite.checks:
                sql = bind(check, Scope()).format(batch=suite.table)
                times = []
                for _ in range(rounds):
                    t = time.perf_counter()
                    rows = await conn.fetch(sql)
                    times.append(time.perf_counter() - t)
                print(
                    f"    query {suite.name} {check.rule}: {statistics.median(times):.2f} s, "
                    f"{len(rows):,} rows (load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
                if check.shard is not None and shards > 1:
                    await per_shards(url, suite, check, shards, rounds)
    finally:
        await conn.close()


async def per_shards(
    url: str, suite: AuditSuite, check: AuditCheck, shards: int, rounds: int
) -> None:
    table, column = SHARD_KEYS[check.shard or ""]
    lowest, highest = (await fetch(url, f"SELECT min({column}), max({column}) FROM {table}"))[0]
    queries = [
        bind(check, Scope(), keys).format(batch=suite.table)
        for keys in shard_ranges(lowest, highest, shards)
    ]
    conns = [await asyncpg.connect(url, server_settings=SESSION) for _ in queries]
    try:
        times = []
        for _ in range(rounds):
            t = time.perf_counter()
            found = await asyncio.gather(*(c.fetch(q) for c, q in zip(conns, queries, strict=True)))
            times.append(time.perf_counter() - t)
        print(
            f"    query {suite.name} {check.rule} in {len(queries)} shards at once: "
            f"{statistics.median(times):.2f} s, {sum(map(len, found)):,} rows "
            f"(load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    finally:
        for c in conns:
            await c.close()


async def load(url: str, petitions: int) -> str:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(REPORTS)
        await conn.execute("SET work_mem = '256MB'; SET maintenance_work_mem = '512MB'")
        await conn.execute(HOUSEHOLDS)
        t = time.perf_counter()
        async with conn.transaction():
            await conn.execute(PETITIONS, petitions)
        print(f"petitions inserted: {time.perf_counter() - t:.1f} s", flush=True)
        t = time.perf_counter()
        async with conn.transaction():
            await conn.execute("ALTER TABLE petition_event DISABLE TRIGGER petition_event_notify")
            await conn.execute(EVENTS)
            await conn.execute("ALTER TABLE petition_event ENABLE TRIGGER petition_event_notify")
        print(f"events inserted: {time.perf_counter() - t:.1f} s", flush=True)
        t = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        print(f"vacuum analyze: {time.perf_counter() - t:.1f} s", flush=True)
        counts = [
            f"{await conn.fetchval(f'SELECT count(*) FROM {table}'):,} {table}"
            for table in ("petition", "petition_event", "resident", "household", "monthly_report")
        ]
        return ", ".join(counts)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--petitions", type=int, default=1_000_000)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--without-indexes", action="store_true")
    parser.add_argument(
        "--url", help="measure this database, already loaded by an earlier run (no seed, no load)"
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the scratch server's data here (default: a temporary directory, removed "
        "at the end); a later run with the same directory measures it without loading again",
    )
    parser.add_argument(
        "--load-only", action="store_true", help="load (with --data-dir), measure nothing"
    )
    args = parser.parse_args()
    if args.url:
        migrate.upgrade(args.url)
        measure_all(args.url, args)
        return
    if args.data_dir is not None:
        bench_on(args.data_dir, args)
        return
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-audit-million-") as tmp:
        bench_on(Path(tmp), args)


def bench_on(data_dir: Path, args: argparse.Namespace) -> None:
    server = embedded.start_server(data_dir / "pg")
    asyncio.run(embedded.ensure_database(server, "bench"))
    url = embedded.with_database(server, "bench")
    migrate.upgrade(url)
    loaded = data_dir / "loaded"
    if not loaded.exists():
        env = {**os.environ, "DATABASE_URL": url}
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "gongzhi", "seed", "--demo", "--scale", str(args.scale)],
            env=env,
            check=True,
            capture_output=True,
        )
        print(f"seed --demo --scale {args.scale}: {time.perf_counter() - t:.1f} s", flush=True)
        print(asyncio.run(load(url, args.petitions)), flush=True)
        loaded.write_text(f"{args.petitions} petitions, scale {args.scale}\n")
    if not args.load_only:
        measure_all(url, args)


def measure_all(url: str, args: argparse.Namespace) -> None:
    env = {**os.environ, "DATABASE_URL": url}
    asyncio.run(per_query(url, ["petitions", "reconciliation"], args.rounds))
    measure(env, url, "full audit (every suite)", args.rounds)
    asyncio.run(per_check(url))
    measure(env, url, "petitions suite", args.rounds, "--suite", "petitions")
    asyncio.run(per_check(url))
    if args.without_indexes:
        asyncio.run(fetch(url, f"DROP INDEX {', '.join(INDEXES_0010)}"))
        asyncio.run(per_query(url, ["petitions"], args.rounds))
        measure(
            env,
            url,
            "petitions suite without 0010's indexes",
            args.rounds,
            "--suite",
            "petitions",
        )
        asyncio.run(per_check(url))


if __name__ == "__main__":
    main()
