"""Statistics intake benchmark (contract section 2): ``python -m bench.intake``.

Measures, on a scratch database (DATABASE_URL's server, or an embedded PostgreSQL in a
temporary directory):

1. a 10,000-row reports.csv validated and stored, end to end in a running service
   (parse, one Great Expectations run in a warm worker, the SQL checks, one
   transaction), and the same file through the CLI in a fresh process (which also
   starts its worker: importing Great Expectations is most of that);
2. 100 concurrent single-report GraphQL submissions over HTTP (the Starlette app in
   process, the client too), coalesced into a few Great Expectations runs and
   transactions: a burst of 100 at once, round after round, and 100 clients submitting
   one report after another for some seconds (batches then form while Great
   Expectations runs); then the burst straight into the intake, without GraphQL.

Every submitted report is valid and must be stored (a month after the current one
would be rejected by E2, so every month is a past one).

Not part of the test run. Figures go to docs/performance.md ("Statistics intake").
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from db import embedded, migrate  # noqa: E402
from db.connect import create_pool  # noqa: E402
from validation import reports_intake as intake  # noqa: E402
from validation.report_rows import parse_reports_csv  # noqa: E402
from validation.suite import load_suite, suite_path  # noqa: E402

TOWNS, VILLAGES_PER_TOWN = 20, 25  # 500 villages
# the contract's columns, in the suite file's order (the suite is their source of truth)
COLUMNS = list(load_suite(suite_path("community_monthly_report")).columns)


def village_codes() -> list[str]:
    return [
        f"510129{100 + t:03d}{200 + v:03d}"
        for t in range(1, TOWNS + 1)
        for v in range(1, VILLAGES_PER_TOWN + 1)
    ]


async def seed_areas(conn: asyncpg.Connection) -> None:
    await conn.execute(
        "INSERT INTO area (code, name, level) VALUES ('51', '四川省', 'province');"
        "INSERT INTO area (code, name, level, parent_id) SELECT '5101', '成都市', 'city', id "
        "FROM area WHERE code = '51';"
        "INSERT INTO area (code, name, level, parent_id) SELECT '510129', '大邑县', 'county', "
        "id FROM area WHERE code = '5101'"
    )
    for t in range(1, TOWNS + 1):
        town = f"510129{100 + t:03d}"
        await conn.execute(
            "INSERT INTO area (code, name, level, parent_id) "
            "SELECT $1, $2, 'town', id FROM area WHERE code = '510129'",
            town,
            f"镇{t}",
        )
        await conn.executemany(
            "INSERT INTO area (code, name, level, parent_id) "
            "SELECT $1, $2, 'village', id FROM area WHERE code = $3",
            [(f"{town}{200 + v:03d}", f"村{t}-{v}", town) for v in range(1, VILLAGES_PER_TOWN + 1)],
        )


def report(rng: random.Random, code: str, period: str, bad: bool) -> list[str]:
    households = rng.randint(150, 900)
    residents = households * rng.randint(2, 4)
    open_start = rng.randint(0, 20)
    received = rng.randint(5, 60)
    resolved = rng.randint(0, open_start + received)
    feedback = rng.randint(0, resolved)
    volunteers = rng.randint(0, 40)
    hours = f"{rng.randint(0, volunteers * 20)}.{rng.randint(0, 9)}" if volunteers else "0"
    dividend_households = rng.randint(0, households // 2)
    paid = f"{rng.randint(1, 90000)}.{rng.randint(0, 99):02d}" if dividend_households else "0"
    open_end = open_start + received - resolved + (3 if bad else 0)  # bad rows break E7
    return [
        code, period, str(households), str(residents), str(rng.randint(0, residents // 10)),
        str(open_start), str(received), str(resolved), str(open_end), str(feedback),
        str(rng.randint(0, feedback)), str(volunteers), hours, str(rng.randint(0, 12)),
        f"{rng.randint(0, 500000)}.{rng.randint(0, 99):02d}", paid, str(dividend_households),
        "统计员",
    ]  # fmt: skip


def reports_csv(rows: int, seed: int = 1, first_year: int = 2000) -> bytes:
    rng = random.Random(seed)
    codes = village_codes()
    months = [f"{first_year + m // 12}-{m % 12 + 1:02d}" for m in range(rows // len(codes) + 1)]
    lines = [",".join(COLUMNS)]
    for i in range(rows):
        code, period = codes[i % len(codes)], months[i // len(codes)]
        lines.append(",".join(report(rng, code, period, bad=i % 50 == 7)))
    return ("\n".join(lines) + "\n").encode()


async def measure_file(url: str, data: bytes) -> dict[str, float]:
    pool = await create_pool(url, min_size=1, max_size=4)
    service = intake.get_intake()
    stages: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        rows = parse_reports_csv(data, COLUMNS)
        stages["parse"] = time.perf_counter() - t0

        def progress(stage: str, _n: int) -> None:
            stages[stage] = time.perf_counter() - t0

        submission = intake.Submission(
            rows, intake.Options(), "cli", "bench", intake.PoolDatabase(pool), progress=progress
        )
        result = await service.submit(submission)
        stages["total"] = time.perf_counter() - t0
        stages["accepted"] = len(result.accepted)
        stages["rejected"] = len(result.rejected)
        stages["warnings"] = sum(len(v.warnings) for v in result.verdicts)
    finally:
        await pool.close()
    return stages


def measure_cli(url: str, path: Path) -> float:
    env = {**os.environ, "DATABASE_URL": url}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "gongzhi", "reports", "import", str(path), "--revise",
         "--format", "json"],
        capture_output=True, env=env, cwd=REPO, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise RuntimeError(proc.stderr.decode())
    return elapsed


MUTATION = """mutation($input: SubmitMonthlyReportsInput!) { submitMonthlyReports(input: $input) {
  ... on ReportSubmission { stored accepted { row } rejected { row errors { rule } } } } }"""

# Months of the GraphQL and intake measurements: past months (a month after the current
# one is rejected by E2), none of them the file rounds' (1950 on) or another's.
WARM_UP_YEAR, BURST_YEAR, INTAKE_YEAR, SUSTAINED_YEAR = 2005, 2010, 2013, 1970


def _month(year: int, n: int) -> str:
    """The n-th month (0-based) from January of ``year``."""
    return f"{year + n // 12}-{n % 12 + 1:02d}"


SECRET = "bench-intake-secret-" + "x" * 32


def _headers(code: str | None) -> dict[str, str]:
    """An admin's token, or (with a village code) that village's community worker's."""
    import datetime as dt

    from gongzhi.auth import Claims, issue

    claims = (
        Claims(subject="bench", role="admin")
        if code is None
        else Claims(subject=f"worker-{code}", role="community_worker", area=code)
    )
    return {"Authorization": f"Bearer {issue(SECRET, claims, dt.timedelta(hours=1))}"}


async def measure_graphql(url: str, n: int, rounds: int, per_village: bool) -> dict[str, Any]:
    """``per_village``: each submission from its own village's worker (one transaction per
    principal, as row-level security needs); else all from one admin."""

    codes = village_codes()
    headers = {code: _headers(code if per_village else None) for code in codes[:n]}
    coalescer = intake.get_intake().coalescer
    rates, batches = [], []
    async with _graphql_client(url) as submit:
        warm_up = _month(WARM_UP_YEAR + per_village, 0)
        await asyncio.gather(*(submit(codes[i], warm_up, headers[codes[i]]) for i in range(10)))
        for r in range(rounds):
            period = _month(BURST_YEAR + per_village, r)
            before = coalescer.batches
            t0 = time.perf_counter()
            await asyncio.gather(*(submit(codes[i], period, headers[codes[i]]) for i in range(n)))
            elapsed = time.perf_counter() - t0
            rates.append(n / elapsed)
            batches.append(coalescer.batches - before)
    return {"rates": rates, "batches": batches}


async def measure_graphql_sustained(url: str, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` clients (one admin's token), each submitting one report after another
    for ``seconds``, counted once every client has had two answers: what arrives while
    Great Expectations runs one batch goes into the next, so batches are as large as the
    load makes them."""
    codes = village_codes()
    headers = _headers(None)
    coalescer = intake.get_intake().coalescer
    counting = asyncio.Event()
    stop = asyncio.Event()
    done = [0] * clients
    warm = asyncio.Semaphore(0)
    async with _graphql_client(url) as submit:

        async def client(i: int) -> None:
            n = 0
            while not stop.is_set():
                await submit(codes[i], _month(SUSTAINED_YEAR, n), headers)
                n += 1
                if n == 2:
                    warm.release()
                if counting.is_set() and not stop.is_set():
                    done[i] += 1

        tasks = [asyncio.ensure_future(client(i)) for i in range(clients)]
        for _ in range(clients):
            await warm.acquire()
        counting.set()
        before = coalescer.batches
        t0 = time.perf_counter()
        await asyncio.sleep(seconds)
        stop.set()
        elapsed = time.perf_counter() - t0
        batches = coalescer.batches - before
        await asyncio.gather(*tasks)
    total = sum(done)
    return {"rate": total / elapsed, "reports": total, "batches": batches}


@contextlib.asynccontextmanager
async def _graphql_client(url: str) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    """The service (the Starlette app, in process) and a function submitting one valid
    report for (village, month) through the mutation; it fails unless the report is
    accepted and stored."""
    import httpx
    from asgi_lifespan import LifespanManager

    from gongzhi.app import create_app
    from gongzhi.settings import Settings

    rng = random.Random(2)
    app = create_app(
        Settings(database_url=url, pool_min_size=2, pool_max_size=10, jwt_secret=SECRET)
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def submit(code: str, period: str, headers: dict[str, str]) -> None:
                values = dict(zip(COLUMNS, report(rng, code, period, bad=False), strict=True))
                variables = {"input": {"rows": [_camel(values)]}}
                body = (
                    await client.post(
                        "/graphql",
                        json={"query": MUTATION, "variables": variables},
                        headers=headers,
                    )
                ).json()
                result = (body.get("data") or {}).get("submitMonthlyReports") or {}
                if "errors" in body or not result.get("stored") or not result.get("accepted"):
                    raise RuntimeError(f"{code} {period} not stored: {body}")

            yield submit


async def measure_intake_only(url: str, n: int, rounds: int) -> dict[str, Any]:
    """The same submissions straight into the intake: what coalescing allows when the
    GraphQL layer costs nothing."""
    rng = random.Random(3)
    codes = village_codes()
    pool = await create_pool(url, min_size=2, max_size=10)
    service = intake.get_intake()
    rates, batches = [], []
    try:
        for r in range(rounds):
            period = _month(INTAKE_YEAR, r)
            subs = [
                intake.Submission(
                    parse_reports_csv(
                        (
                            ",".join(COLUMNS)
                            + "\n"
                            + ",".join(report(rng, codes[i], period, False))
                        ).encode(),
                        COLUMNS,
                    ),
                    intake.Options(),
                    "graphql",
                    "bench",
                    intake.PoolDatabase(pool),
                )
                for i in range(n)
            ]
            before = service.coalescer.batches
            t0 = time.perf_counter()
            results = await asyncio.gather(*(service.submit(s) for s in subs))
            rates.append(n / (time.perf_counter() - t0))
            batches.append(service.coalescer.batches - before)
            refused = [r.contract_json() for r in results if r.rejected or not r.stored]
            if refused:
                raise RuntimeError(f"{len(refused)} submissions not stored, e.g. {refused[0]}")
    finally:
        await pool.close()
    return {"rates": rates, "batches": batches}


def _camel(values: dict[str, str]) -> dict[str, str]:
    return {
        k.split("_")[0] + "".join(p.title() for p in k.split("_")[1:]): v for k, v in values.items()
    }


async def scratch_database(server: str) -> str:
    name = f"gongzhi_bench_intake_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = embedded.with_database(server, name)
    await asyncio.to_thread(migrate.upgrade, url)
    conn = await asyncpg.connect(url)
    try:
        await seed_areas(conn)
    finally:
        await conn.close()
    return url


async def run(args: argparse.Namespace, server: str) -> None:
    url = await scratch_database(server)
    service = intake.get_intake(workers=args.workers)
    t0 = time.perf_counter()
    await service.ready()
    print(f"workers ready in {time.perf_counter() - t0:.1f} s ({args.workers} worker(s))")
    years = args.rows // (12 * len(village_codes())) + 1
    totals = []
    for r in range(args.file_rounds):
        # each round new months, so every round stores its 10,000 reports anew
        data = reports_csv(args.rows, seed=r + 1, first_year=1950 + r * years)
        stages = await measure_file(url, data)
        totals.append(stages["total"])
        print(
            f"{args.rows} rows in a running service, round {r + 1}: {stages['total']:.2f} s "
            f"(parse {stages['parse']:.2f}, validated at {stages['validated']:.2f}, "
            f"stored at {stages['stored']:.2f}); {stages['accepted']:.0f} accepted, "
            f"{stages['rejected']:.0f} rejected, {stages['warnings']:.0f} warnings"
        )
    print(
        f"{args.rows} rows in a running service: median {statistics.median(totals):.2f} s, "
        f"best {min(totals):.2f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reports.csv"
        path.write_bytes(data)
        cli = measure_cli(url, path)
        print(f"{args.rows} rows through the CLI in a fresh process: {cli:.2f} s")
    for per_village in (False, True):
        g = await measure_graphql(url, args.concurrent, args.rounds, per_village)
        who = "each from its village's worker" if per_village else "from one admin"
        print(
            f"{args.concurrent} concurrent single-report GraphQL submissions ({who}): "
            f"median {statistics.median(g['rates']):.0f} reports/s "
            f"(rounds: {', '.join(f'{r:.0f}' for r in g['rates'])}; "
            f"GX runs per round: {', '.join(map(str, g['batches']))})"
        )
    sustained = await measure_graphql_sustained(url, args.concurrent, args.seconds)
    print(
        f"{args.concurrent} clients each submitting single reports through GraphQL, one after "
        f"another, for {args.seconds:.0f} s: {sustained['rate']:.0f} reports/s "
        f"({sustained['reports']} reports in {sustained['batches']} GX runs)"
    )
    i = await measure_intake_only(url, args.concurrent, args.rounds)
    print(
        f"{args.concurrent} concurrent single-report submissions straight into the intake: "
        f"median {statistics.median(i['rates']):.0f} reports/s "
        f"(rounds: {', '.join(f'{r:.0f}' for r in i['rates'])}; "
        f"GX runs per round: {', '.join(map(str, i['batches']))})"
    )
    print(f"load average after the run: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    intake.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--concurrent", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--file-rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="of the sustained GraphQL measurement"
    )
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL")
    if server:
        asyncio.run(run(args, server))
        return
    # Not a TemporaryDirectory context: it would delete the data directory before the
    # embedded server stops (at exit); atexit runs the removal after the server's stop,
    # registered later.
    tmp = tempfile.mkdtemp(prefix="gongzhi-bench-intake-")
    atexit.register(shutil.rmtree, tmp, True)
    asyncio.run(run(args, embedded.start_server(Path(tmp) / "pg")))


if __name__ == "__main__":
    main()
