"""Shared helpers of the audit tests: run an audit in process, read what it stored, and
plant defects.

How defects are planted (honestly): most resident rules are database constraints, so a
test plants a broken row the way such rows reach a real database — data loaded before a
constraint existed. It drops the constraint, writes the row, and puts the constraint back
NOT VALID (enforced for new rows, existing rows unchecked), or it writes with
``session_replication_role = replica`` (triggers, including the deferred head-of-household
constraint triggers, do not fire), as a restore or a replica would. Monthly reports are
inserted directly as the intake would store them, with chosen ``created_at`` values.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from db import audit_runs
from validation import audit

FIGURES = (
    "households",
    "residents",
    "party_members",
    "requests_open_start",
    "requests_received",
    "requests_resolved",
    "requests_open_end",
    "feedback_received",
    "feedback_satisfied",
    "volunteers_active",
    "volunteer_hours",
    "activities_held",
    "collective_income",
    "dividends_paid",
    "dividend_households",
)


async def run(
    database_url: str,
    *,
    suites: list[str] | None = None,
    area: str | None = None,
    period: dt.date | None = None,
) -> uuid.UUID:
    conn = await asyncpg.connect(database_url)
    try:

        @asynccontextmanager
        async def transaction() -> AsyncIterator[asyncpg.Connection]:
            async with conn.transaction():
                yield conn

        request = audit.AuditRequest(suites=suites, area_code=area, period=period, started_by="t")
        return await audit.run_audit(request, database_url, transaction)
    finally:
        await conn.close()


async def found(conn: asyncpg.Connection, run_id: uuid.UUID) -> dict[str, set[str]]:
    """rule -> the target ids (with the month, when the finding has one) it found."""
    checks = await audit_runs.checks_of(conn, run_id)
    broken = [(c["rule"], c["error"]) for c in checks if c["status"] == "broken"]
    assert not broken, broken
    out: dict[str, set[str]] = {c["rule"]: set() for c in checks}
    for f in await audit_runs.findings_of(conn, run_id):
        key = f["target_id"] + (f" {f['period']:%Y-%m}" if f["period"] else "")
        out[f["rule"]].add(key)
    for c in checks:
        assert c["failing"] == len(out[c["rule"]]), c
    return out


async def plant_without(
    conn: asyncpg.Connection, constraints: list[str], sql: str, *args: Any, replica: bool = False
):
    """Run ``sql`` with the resident constraints named dropped, then restore them NOT VALID
    (``replica``: with triggers off too)."""
    definitions = {
        r["conname"]: r["def"]
        for r in await conn.fetch(
            "SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint "
            "WHERE conrelid = 'resident'::regclass AND conname = ANY($1)",
            constraints,
        )
    }
    assert set(definitions) == set(constraints)
    async with conn.transaction():
        if replica:
            await conn.execute("SET LOCAL session_replication_role = replica")
        for name in constraints:
            await conn.execute(f"ALTER TABLE resident DROP CONSTRAINT {name}")
        result = await conn.fetch(sql, *args)
        for name, definition in definitions.items():
            # an exclusion constraint cannot be NOT VALID, and the planted data breaks it:
            # it stays dropped in this test's database
            if not definition.startswith("EXCLUDE"):
                await conn.execute(
                    f"ALTER TABLE resident ADD CONSTRAINT {name} {definition} NOT VALID"
                )
    return result


async def add_run(conn: asyncpg.Connection) -> uuid.UUID:
    run_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO validation_run (id, suite, suite_version, submitted_by, source, dry_run,
               atomic, revise, rows, accepted, rejected, warnings, stored, started_at, finished_at)
           VALUES ($1, 'community_monthly_report', '0123456789abcdef', 't', 'cli', false, false,
                   false, 0, 0, 0, 0, true, now(), now())""",
        run_id,
    )
    return run_id


async def add_report(
    conn: asyncpg.Connection,
    run_id: uuid.UUID,
    area_code: str,
    period: dt.date,
    created_at: dt.datetime | None = None,
    **figures: Any,
) -> int:
    values = {f: 0 for f in FIGURES} | {
        "households": 10,
        "residents": 30,
        "party_members": 2,
        "requests_received": 5,
        "requests_resolved": 5,
        "volunteers_active": 2,
        "volunteer_hours": 10,
        "activities_held": 1,
    }
    values.update(figures)
    created = created_at or dt.datetime.combine(
        (period + dt.timedelta(days=32)).replace(day=5), dt.time(9), dt.UTC
    )
    return await conn.fetchval(
        f"""INSERT INTO monthly_report (area_id, area_path, period, version, {", ".join(FIGURES)},
                submitted_by, run_id, source_row, created_at)
            SELECT a.id, a.path, $2, 1, {", ".join(f"${i + 3}" for i in range(len(FIGURES)))},
                   't', ${len(FIGURES) + 3}, 1, ${len(FIGURES) + 4}
              FROM area a WHERE a.code = $1
            RETURNING id""",
        area_code,
        period,
        *(values[f] for f in FIGURES),
        run_id,
        created,
    )
