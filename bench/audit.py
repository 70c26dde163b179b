"""Audit benchmark: ``python -m bench.audit [--scale 1]``.

On a scratch database (an embedded PostgreSQL in a temporary directory): the demo seed at
``--scale``, twelve months of monthly reports for every village (inserted directly, as
the intake would store them: the demo seed has no reports), then ``gongzhi audit run``
over everything, timed whole (the CLI process: Great Expectations' start included) and
per check (as stored in audit_check). Not part of the test run; figures go to
docs/audit.md ("Performance").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from db import embedded, migrate  # noqa: E402

REPORTS = """
WITH run AS (
    INSERT INTO validation_run (id, suite, suite_version, submitted_by, source, dry_run, atomic,
        revise, rows, accepted, rejected, warnings, stored, started_at, finished_at)
    VALUES (gen_random_uuid(), 'community_monthly_report', '0123456789abcdef', 'bench', 'cli',
            false, false, false, 0, 0, 0, 0, true, now(), now())
    RETURNING id)
INSERT INTO monthly_report (area_id, period, version, households, residents, party_members,
    requests_open_start, requests_received, requests_resolved, requests_open_end,
    feedback_received, feedback_satisfied, volunteers_active, volunteer_hours, activities_held,
    collective_income, dividends_paid, dividend_households, submitted_by, run_id, source_row,
    created_at)
SELECT a.id, p::date, 1, 300 + a.id % 50, 900 + a.id % 70, 40, 0, r, r, 0, 0, 0, 5, 40,
       2, 10000, 0, 0, 'bench', run.id, 1, p + interval '1 month 4 days'
  FROM area a CROSS JOIN generate_series(DATE '2025-01-01', DATE '2025-12-01', interval '1 month') p
  CROSS JOIN run
  CROSS JOIN LATERAL (SELECT 5 + (a.id * 7 + extract(month FROM p)::int) % 4 AS r) x
 WHERE a.level = 'village'
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gongzhi-bench-audit-") as tmp:
        server = embedded.start_server(Path(tmp) / "pg")
        asyncio.run(embedded.ensure_database(server, "bench"))
        url = embedded.with_database(server, "bench")
        migrate.upgrade(url)
        env = {**os.environ, "DATABASE_URL": url}
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "gongzhi", "seed", "--demo", "--scale", str(args.scale)],
            env=env,
            check=True,
            capture_output=True,
        )
        print(f"seed --demo --scale {args.scale}: {time.perf_counter() - t:.1f} s")

        async def prepare() -> str:
            conn = await asyncpg.connect(url)
            try:
                await conn.execute(REPORTS)
                await conn.execute("ANALYZE")
                return (
                    f"{await conn.fetchval('SELECT count(*) FROM resident'):,} residents, "
                    f"{await conn.fetchval('SELECT count(*) FROM household'):,} households, "
                    f"{await conn.fetchval('SELECT count(*) FROM monthly_report'):,} reports"
                )
            finally:
                await conn.close()

        print(asyncio.run(prepare()))
        for attempt in (1, 2):
            t = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "gongzhi", "audit", "run", "--format", "json"],
                env=env,
                capture_output=True,
                text=True,
            )
            print(
                f"audit run #{attempt} (CLI, whole process): {time.perf_counter() - t:.1f} s, "
                f"exit {proc.returncode}"
            )

        async def per_check() -> None:
            conn = await asyncpg.connect(url)
            try:
                for r in await conn.fetch(
                    """SELECT r.finished_at - r.started_at AS took, r.findings FROM audit_run r
                        ORDER BY seq"""
                ):
                    print(
                        f"  stored run: {r['took'].total_seconds():.2f} s in the workers and "
                        f"database, {r['findings']} findings"
                    )
                for r in await conn.fetch(
                    """SELECT suite, round(sum(seconds)::numeric, 2) AS s, sum(failing) AS n
                         FROM audit_check WHERE run_id = (SELECT id FROM audit_run
                                                          ORDER BY seq DESC LIMIT 1)
                        GROUP BY suite ORDER BY suite"""
                ):
                    print(f"  {r['suite']}: {r['s']} s, {r['n']} findings")
            finally:
                await conn.close()

        asyncio.run(per_check())


if __name__ == "__main__":
    main()
