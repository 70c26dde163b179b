"""``python -m bench``: seed, start both servers, check they agree, load them, report."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench import REPO, database, load, noise, queries, report, servers, source
from bench.load import Run
from bench.queries import QUERIES, Query

DEFAULT_CACHE = REPO / "bench" / ".cache"
DEFAULT_RESULTS = REPO / "bench" / "results" / "latest.json"
# Values checked per query before measuring (all of them when there are fewer).
CHECKED_VALUES = 10
# gongzhi's request header that forces, and response header that names, its read path.
EXECUTION_HEADER = "x-gongzhi-execution"


def _csv_ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _csv_queries(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [n for n in names if n not in QUERIES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown query {', '.join(unknown)}; known: {', '.join(QUERIES)}"
        )
    return names


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark gongzhi against PostGraphile v5 and the SQL limit.",
    )
    p.add_argument(
        "--scale", type=float, default=1.0, help="demo seed scale (default 1; 0.01 is tiny)"
    )
    p.add_argument("--duration", type=float, default=10, help="seconds per run (default 10)")
    p.add_argument("--warmup", type=float, default=3, help="warm-up seconds per server/query")
    p.add_argument(
        "--concurrency", type=_csv_ints, default=[10, 50], help="comma list (default 10,50)"
    )
    p.add_argument(
        "--queries",
        type=_csv_queries,
        default=list(QUERIES),
        help=f"comma list of {', '.join(QUERIES)} (default all)",
    )
    p.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2)")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=10,
        help="before each run, wait up to this many seconds for other processes to go "
        "quiet (default 10; 0: never wait)",
    )
    p.add_argument("--no-sql", action="store_true", help="skip the SQL limit (pgbench)")
    p.add_argument(
        "--no-resolver",
        action="store_true",
        help="skip gongzhi with its resolver path forced (x-gongzhi-execution: resolver)",
    )
    p.add_argument("--check-only", action="store_true", help="check equivalence, no load")
    p.add_argument(
        "--rev",
        help="measure this git revision (migrate, seed and serve from a clean copy of it) "
        "instead of the working tree",
    )
    p.add_argument("--reseed", action="store_true", help="drop and reseed the scratch database")
    p.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="scratch data")
    p.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="JSON results file")
    p.add_argument(
        "--database-url",
        help="use this already seeded database instead of the scratch one (bench adds its "
        "bench_pgl schema there); PostgreSQL is then not pinned to a CPU",
    )
    p.add_argument(
        "--write-docs", action="store_true", help="rewrite the results in docs/performance.md"
    )
    p.add_argument(
        "--report-only",
        action="store_true",
        help="no measuring: print the tables of the --results file (and --write-docs them)",
    )
    return p.parse_args(argv)


def cpu_layout() -> tuple[str | None, set[int] | None, str]:
    """(CPUs for the server under test, CPUs for PostgreSQL and wrk, description).

    The server under test (and pgbench, which stands in for it in the SQL limit) gets a
    core of its own; PostgreSQL and the load generator share the rest. Both servers are
    single processes, so one core is what each can use anyway.
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None, "not pinned (one CPU)"
    app, rest = cpus[-1], cpus[:-1]
    rest_list = ",".join(map(str, rest))
    return (
        str(app),
        set(rest),
        f"server under test (and pgbench) on CPU {app}; PostgreSQL and wrk on CPU {rest_list}",
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        return report_only(args)
    cache: Path = args.cache_dir.resolve()
    log_dir = cache / "logs"
    work = cache / "run"
    log_dir.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    selected = [QUERIES[name] for name in args.queries]
    app_cpus, support_cpus, pinning = cpu_layout()
    if not args.check_only:
        load.wrk_path()  # fail now, not after seeding
    servers.ensure_postgraphile_installed()
    if args.rev:
        sha = source.resolve(args.rev)
        src = source.checkout(sha, cache)
        revision = sha[:10]
    else:
        src = REPO
        revision = report.git_revision()
    print(f"bench: gongzhi from {src} ({revision})")

    if args.database_url:
        db = database.external(args.database_url)
    else:
        db, seeded = database.prepare(
            cache, args.scale, src=src, reseed=args.reseed, log_dir=log_dir
        )
        print(f"bench: scratch database {db.name} ({'seeded now' if seeded else 'reused'})")
    if db.postmaster_pid is not None and support_cpus:
        database.pin_postgres(db.postmaster_pid, support_cpus)
    if args.database_url:
        pinning += " (external database: PostgreSQL not pinned)"

    rows = asyncio.run(database.sizes(db.url))
    print("bench: dataset " + ", ".join(f"{n:,} {what}" for what, n in rows.items()))
    values = asyncio.run(_pick_all(db.url, selected))
    for query in selected:
        if not values[query.name]:
            raise SystemExit(f"bench: the dataset has nothing for {query.name}")

    started: list[servers.Server] = []
    try:
        gz = servers.start_gongzhi(db.url, app_cpus, log_dir, src)
        started.append(gz)
        pgl = servers.start_postgraphile(db.node_url, app_cpus, log_dir)
        started.append(pgl)
        targets = http_targets(gz, pgl, resolver=not args.no_resolver)
        paths = check_equivalence(selected, values, targets, db.url)
        if args.check_only:
            return 0
        bodies = write_bodies(selected, values, work)
        runs = measure(args, selected, values, bodies, targets, db)
    finally:
        for server in reversed(started):
            server.stop()

    summary = report.summarise(runs)
    results: dict[str, Any] = {
        "date": report.now(),
        "revision": revision,
        "argv": sys.argv[1:] if argv is None else argv,
        "machine": report.machine(),
        "versions": {
            "postgresql": asyncio.run(database.server_version(db.url)),
            "postgraphile": pgl.version,
            "node": pgl.extra.get("node", ""),
            "wrk": load.wrk_version(),
        },
        "settings": {
            "scale": args.scale,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "concurrency": args.concurrency,
            "pool_size": servers.POOL_SIZE,
            "cpu_pinning": pinning,
        },
        "dataset": {"rows": rows, "variables": {q.name: len(values[q.name]) for q in selected}},
        "queries": {
            q.name: {"description": q.description, "gongzhi_path": paths[q.name]} for q in selected
        },
        "summary": [
            {"query": query, "concurrency": c, **{t: vars(cell) for t, cell in cells.items()}}
            for (query, c), cells in summary.items()
        ],
        "runs": [r.as_dict() for r in runs],
    }
    print()
    print(report.tables(summary, paths))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nbench: results in {args.results}")
    if args.write_docs:
        report.write_docs(results, summary, paths)
        print(f"bench: updated {report.DOCS}")
    bad = sum(r.bad for r in runs)
    if bad:
        print(f"bench: {bad} bad responses (errors, non-200, timeouts); see the JSON file")
        return 1
    return 0


def report_only(args: argparse.Namespace) -> int:
    results = json.loads(args.results.read_text(encoding="utf-8"))
    fields = set(Run.__dataclass_fields__)
    runs = [Run(**{k: v for k, v in r.items() if k in fields}) for r in results["runs"]]
    paths = {name: q["gongzhi_path"] for name, q in results["queries"].items()}
    summary = report.summarise(runs)
    print(report.tables(summary, paths))
    if args.write_docs:
        report.write_docs(results, summary, paths)
        print(f"bench: updated {report.DOCS}")
    return 0


@dataclass(frozen=True)
class HttpTarget:
    name: str  # as in the results: gongzhi, gongzhi_resolver, postgraphile
    server: servers.Server
    dialect: str  # which text of the query it takes: gongzhi or postgraphile
    headers: dict[str, str]


def http_targets(
    gz: servers.Server, pgl: servers.Server, *, resolver: bool
) -> dict[str, HttpTarget]:
    targets = [HttpTarget("gongzhi", gz, "gongzhi", gz.headers)]
    if resolver:
        # Same server and process; the header makes gongzhi skip its compiled path.
        forced = {**gz.headers, EXECUTION_HEADER: "resolver"}
        targets.append(HttpTarget("gongzhi_resolver", gz, "gongzhi", forced))
    targets.append(HttpTarget("postgraphile", pgl, "postgraphile", pgl.headers))
    return {t.name: t for t in targets}


async def _pick_all(url: str, selected: list[Query]) -> dict[str, list[Any]]:
    conn = await asyncpg.connect(url)
    try:
        return {q.name: await queries.pick_values(conn, q) for q in selected}
    finally:
        await conn.close()


def check_equivalence(
    selected: list[Query],
    values: dict[str, list[Any]],
    targets: dict[str, HttpTarget],
    db_url: str,
) -> dict[str, str]:
    """Each query's data from every target and from the SQL statement must be equal.

    Returns, per query, which of gongzhi's read paths answered it by default (its
    x-gongzhi-execution response header).
    """
    paths: dict[str, str] = {}
    for query in selected:
        checked = values[query.name][:CHECKED_VALUES]
        sql_results = asyncio.run(_sql_results(db_url, query, checked))
        seen_paths: set[str] = set()
        for value, sql_body in zip(checked, sql_results, strict=True):
            canonical = queries.decode_ids(sql_body["data"])
            if not _has_rows(canonical):
                raise SystemExit(f"bench: {query.name} ({value!r}) returned no rows")
            for target in targets.values():
                body, headers = servers.exchange(
                    target.server.url, request_body(query, target.dialect, value), target.headers
                )
                if body.get("errors") or body.get("data") is None:
                    raise SystemExit(
                        f"bench: {target.name} failed {query.name} ({value!r}): "
                        f"{json.dumps(body, ensure_ascii=False)[:2000]}"
                    )
                if target.dialect == "postgraphile":
                    data = query.from_postgraphile(body["data"])
                else:
                    data = queries.decode_ids(body["data"])
                where = first_difference(data, canonical)
                if where is not None:
                    raise SystemExit(
                        f"bench: {query.name} ({value!r}): {target.name} and the SQL statement "
                        f"differ at {where}"
                    )
                if target.name == "gongzhi":
                    seen_paths.add(headers.get(EXECUTION_HEADER, "unknown"))
        paths[query.name] = "+".join(sorted(seen_paths))
        print(
            f"bench: {query.name}: {', '.join(targets)} and SQL agree on {len(checked)} "
            f"value(s); gongzhi answered by its {paths[query.name]} path"
        )
    return paths


def request_body(query: Query, dialect: str, value: Any) -> dict[str, Any]:
    if dialect == "postgraphile":
        return {"query": query.postgraphile, "variables": query.postgraphile_vars(value)}
    return {"query": query.gongzhi, "variables": query.gongzhi_vars(value)}


async def _sql_results(url: str, query: Query, checked: list[Any]) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        sql = query.sql_for_asyncpg()
        out = []
        for value in checked:
            text = await (conn.fetchval(sql, value) if query.takes_variable else conn.fetchval(sql))
            out.append(json.loads(text))
        return out
    finally:
        await conn.close()


def first_difference(a: Any, b: Any, path: str = "data") -> str | None:
    """Where two JSON values first differ (a path and both values), or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key} (missing on one side)"
            where = first_difference(a[key], b[key], f"{path}.{key}")
            if where:
                return where
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path} (lengths {len(a)} and {len(b)})"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            where = first_difference(x, y, f"{path}[{i}]")
            if where:
                return where
        return None
    if a != b or type(a) is not type(b):
        return f"{path}: {a!r} vs {b!r}"
    return None


def _has_rows(value: Any) -> bool:
    """True when a response holds some list with items (an empty page measures nothing)."""
    if isinstance(value, list):
        return bool(value)
    if isinstance(value, dict):
        return any(_has_rows(v) for v in value.values()) or "id" in value
    return False


def write_bodies(
    selected: list[Query], values: dict[str, list[Any]], work: Path
) -> dict[tuple[str, str], Path]:
    """One file per dialect and query: a JSON request body per line, for wrk."""
    files = {}
    for query in selected:
        for dialect in ("gongzhi", "postgraphile"):
            path = work / f"{dialect}-{query.name}.jsonl"
            lines = [
                json.dumps(request_body(query, dialect, v), ensure_ascii=False)
                for v in values[query.name]
            ]
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            files[(dialect, query.name)] = path
    return files


def pgbench_script(query: Query, values: list[Any]) -> str:
    head = f"\\set i random(1, {len(values)})\n" if query.takes_variable else ""
    return head + query.sql_for_pgbench(values) + ";\n"


def measure(
    args: argparse.Namespace,
    selected: list[Query],
    values: dict[str, list[Any]],
    bodies: dict[tuple[str, str], Path],
    targets: dict[str, HttpTarget],
    db: database.Database,
) -> list[Run]:
    app_cpus, support_cpus, _ = cpu_layout()
    # With an external database PostgreSQL's time cannot be told from anyone else's.
    meter = None
    if db.postmaster_pid is not None:
        meter = noise.Meter([db.postmaster_pid])
    wrk_cpus = ",".join(map(str, sorted(support_cpus))) if support_cpus else None

    def quiet() -> None:
        drained = asyncio.run(drain(db.url))
        if drained is not None:
            print(f"bench: waited {drained:.1f} s for earlier requests to finish", file=sys.stderr)
        if meter is None or args.wait_quiet <= 0:
            return
        share = meter.wait_quiet(args.wait_quiet, report.NOISY)
        if share >= report.NOISY:
            print(f"bench: other processes still use {share:.0%} of a CPU", file=sys.stderr)

    def http(name: str, query: Query, concurrency: int, seconds: float) -> dict[str, Any]:
        target = targets[name]
        return load.run_wrk(
            url=target.server.url,
            bodies_file=bodies[(target.dialect, query.name)],
            headers=target.headers,
            concurrency=concurrency,
            seconds=seconds,
            cpus=wrk_cpus,
        )

    if args.warmup > 0:
        for query in selected:
            for target in targets:
                print(f"bench: warm-up {target} {query.name}", file=sys.stderr)
                http(target, query, min(args.concurrency), args.warmup)

    runs: list[Run] = []
    total = len(args.concurrency) * len(selected) * args.rounds
    step = 0
    for concurrency in args.concurrency:
        for query in selected:
            for rnd in range(args.rounds):
                step += 1
                # Interleaved, and alternating which server goes first, so drift in the
                # machine's state (thermal, page cache, autovacuum) hits both alike.
                order = list(targets)
                if rnd % 2:
                    order.reverse()
                for target in order:
                    quiet()
                    started = meter.start() if meter else None
                    result = http(target, query, concurrency, args.duration)
                    run = load.wrk_run(target, query.name, concurrency, rnd, result)
                    if meter and started:
                        run.other_cpu = meter.other_cpu_share(started)
                    runs.append(run)
                    _progress(step, total, run)
                if not args.no_sql:
                    quiet()
                    started = meter.start() if meter else None
                    run = load.run_pgbench(
                        script=pgbench_script(query, values[query.name]),
                        conninfo=db.url,
                        concurrency=concurrency,
                        seconds=args.duration,
                        cpus=app_cpus,
                        work_dir=args.cache_dir.resolve() / "run" / "pgbench",
                        query=query.name,
                        rnd=rnd,
                    )
                    if meter and started:
                        run.other_cpu = meter.other_cpu_share(started)
                    runs.append(run)
                    _progress(step, total, run)
                time.sleep(0.5)
    return runs


async def drain(url: str, limit: float = 120.0) -> float | None:
    """Wait until no statement of either server runs in the database; the seconds waited,
    or None when nothing ran.

    wrk stops after its duration, but a server may still work through the requests it
    had accepted (seconds each on the resolver path at c=50), which then run during the
    next measurement, of this server or of the other: once seen as a compiled-path run
    at 0.8 req/s straight after a resolver-path run on the same process.
    """
    conn = await asyncpg.connect(url)
    try:
        started = time.monotonic()
        idle_polls = 0
        waited = False
        while idle_polls < 3 and time.monotonic() - started < limit:
            busy = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE state <> 'idle' "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            idle_polls = idle_polls + 1 if busy == 0 else 0
            waited = waited or busy > 0
            await asyncio.sleep(0.1)
        return time.monotonic() - started if waited else None
    finally:
        await conn.close()


def _progress(step: int, total: int, run: Run) -> None:
    bad = f", {run.bad} bad" if run.bad else ""
    if run.other_cpu is not None and run.other_cpu >= report.NOISY:
        bad += f", other processes used {run.other_cpu:.0%} of a CPU meanwhile"
    print(
        f"bench: [{step}/{total}] {run.query} c={run.concurrency} {run.target}: "
        f"{run.rps:,.1f} req/s, p50 {_ms(run.p50_ms)}, p99 {_ms(run.p99_ms)}{bad}",
        file=sys.stderr,
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} ms"
