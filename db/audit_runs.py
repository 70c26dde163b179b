"""Audit runs in the database: storing a run with its checks, findings and Data Docs, the
comparison of two runs, and a finding's follow-up (migration 0009).

Every function takes a connection inside the caller's transaction (the CLI's owner
connection, or a principal's session in the service, where row-level security applies).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson


@dataclass(frozen=True)
class CheckRow:
    position: int
    suite: str
    suite_version: str
    rule: str
    severity: str
    description: str
    status: str
    failing: int
    error: str | None
    seconds: float


@dataclass(frozen=True)
class FindingRow:
    suite: str
    rule: str
    severity: str
    target_type: str
    target_id: str
    period: dt.date | None
    fingerprint: str
    area_path: str | None
    message: str
    details: dict[str, Any]


@dataclass(frozen=True)
class RunRow:
    id: uuid.UUID
    suites: dict[str, str]
    scope_code: str | None
    area_path: str
    period: dt.date | None
    started_by: str
    source: str
    started_at: dt.datetime
    finished_at: dt.datetime


async def scope_path(conn: asyncpg.Connection, code: str) -> str | None:
    """The ltree path of the area to audit, None when no area has that code."""
    return await conn.fetchval("SELECT path::text FROM area WHERE code = $1", code)


INSERT_RUN = """
INSERT INTO audit_run (id, suites, scope_code, area_path, period, started_by, source, checks,
                       failed_checks, broken_checks, findings, started_at, finished_at)
VALUES ($1, $2::text::jsonb, $3, $4::ltree, $5, $6, $7::intake_source, $8, $9, $10, $11, $12, $13)
"""

INSERT_CHECKS = """
INSERT INTO audit_check (run_id, area_path, position, suite, suite_version, rule, severity,
                         description, status, failing, error, seconds)
SELECT $1, $2::ltree, c.position, c.suite, c.suite_version, c.rule, c.severity::finding_severity,
       c.description, c.status::audit_check_status, c.failing, c.error, c.seconds
  FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
              $10::int[], $11::text[], $12::float8[])
       AS c(position, suite, suite_version, rule, severity, description, status, failing, error,
            seconds)
"""

# One statement for every finding of a run (COPY is refused under row-level security).
INSERT_FINDINGS = """
INSERT INTO audit_finding (run_id, suite, rule, severity, target_type, target_id, period,
                           fingerprint, area_path, message, details)
SELECT $1, f.suite, f.rule, f.severity::finding_severity, f.target_type, f.target_id, f.period,
       f.fingerprint, f.area_path::ltree, f.message, f.details::jsonb
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::text[],
              $9::text[], $10::text[], $11::text[])
       AS f(suite, rule, severity, target_type, target_id, period, fingerprint, area_path,
            message, details)
"""

INSERT_DOCS = """
INSERT INTO audit_run_docs (run_id, suite, area_path, html)
SELECT $1, d.suite, $2::ltree, d.html FROM unnest($3::text[], $4::text[]) AS d(suite, html)
"""


async def store_run(
    conn: asyncpg.Connection,
    run: RunRow,
    checks: list[CheckRow],
    findings: list[FindingRow],
    docs: dict[str, str],
) -> None:
    """The run, its checks, findings and pages; the caller's transaction makes it whole."""
    await conn.execute(
        INSERT_RUN,
        run.id,
        orjson.dumps(run.suites).decode(),  # as text: pools decode jsonb, plain connections not
        run.scope_code,
        run.area_path,
        run.period,
        run.started_by,
        run.source,
        len(checks),
        sum(c.status == "failed" for c in checks),
        sum(c.status == "broken" for c in checks),
        len(findings),
        run.started_at,
        run.finished_at,
    )
    await conn.execute(
        INSERT_CHECKS,
        run.id,
        run.area_path,
        [c.position for c in checks],
        [c.suite for c in checks],
        [c.suite_version for c in checks],
        [c.rule for c in checks],
        [c.severity for c in checks],
        [c.description for c in checks],
        [c.status for c in checks],
        [c.failing for c in checks],
        [c.error for c in checks],
        [c.seconds for c in checks],
    )
    if findings:
        await conn.execute(
            INSERT_FINDINGS,
            run.id,
            [f.suite for f in findings],
            [f.rule for f in findings],
            [f.severity for f in findings],
            [f.target_type for f in findings],
            [f.target_id for f in findings],
            [f.period for f in findings],
            [f.fingerprint for f in findings],
            [f.area_path for f in findings],
            [f.message for f in findings],
            [orjson.dumps(f.details).decode() for f in findings],
        )
    if docs:
        await conn.execute(INSERT_DOCS, run.id, run.area_path, list(docs), list(docs.values()))


RUN_COLUMNS = """r.id, r.seq, r.suites, r.scope_code, r.area_path::text AS area_path, r.period,
    r.started_by, r.source::text AS source, r.checks, r.failed_checks, r.broken_checks,
    r.findings, r.started_at, r.finished_at"""


async def run_by_id(conn: asyncpg.Connection, run_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {RUN_COLUMNS} FROM audit_run r WHERE r.id = $1", run_id)


async def checks_of(conn: asyncpg.Connection, run_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT suite, suite_version, rule, severity::text AS severity, description,
                  status::text AS status, failing, error, seconds,
                  round(seconds * 1000)::int AS milliseconds
             FROM audit_check WHERE run_id = $1 ORDER BY position""",
        run_id,
    )


FINDING_COLUMNS = """f.id, f.run_id, f.suite, f.rule, f.severity::text AS severity, f.target_type,
    f.target_id, f.period, f.fingerprint, f.area_path::text AS area_path, f.message, f.details,
    audit_finding_status_of(f.fingerprint)::text AS status"""


async def findings_of(
    conn: asyncpg.Connection, run_id: uuid.UUID, rule: str | None = None
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"""SELECT {FINDING_COLUMNS} FROM audit_finding f
             WHERE f.run_id = $1 AND ($2::text IS NULL OR f.rule = $2)
             ORDER BY f.suite, f.rule, f.id""",
        run_id,
        rule,
    )


async def brief_findings_of(conn: asyncpg.Connection, run_id: uuid.UUID) -> list[asyncpg.Record]:
    """A run's findings as the CLI prints them (no follow-up status: one function call
    per finding that the CLI does not show)."""
    return await conn.fetch(
        """SELECT f.id, f.suite, f.rule, f.target_type, f.target_id, f.message
             FROM audit_finding f WHERE f.run_id = $1 ORDER BY f.suite, f.rule, f.id""",
        run_id,
    )


# Findings of two runs matched on their fingerprints: new (only in the later run),
# resolved (only in the earlier), persisting (in both; the later run's row).
COMPARE = f"""
SELECT 'new' AS change, {FINDING_COLUMNS} FROM audit_finding f
 WHERE f.run_id = $2
   AND NOT EXISTS (SELECT 1 FROM audit_finding o
                    WHERE o.run_id = $1 AND o.fingerprint = f.fingerprint)
UNION ALL
SELECT 'resolved', {FINDING_COLUMNS} FROM audit_finding f
 WHERE f.run_id = $1
   AND NOT EXISTS (SELECT 1 FROM audit_finding o
                    WHERE o.run_id = $2 AND o.fingerprint = f.fingerprint)
UNION ALL
SELECT 'persisting', {FINDING_COLUMNS} FROM audit_finding f
 WHERE f.run_id = $2
   AND EXISTS (SELECT 1 FROM audit_finding o WHERE o.run_id = $1 AND o.fingerprint = f.fingerprint)
ORDER BY 1, suite, rule, id
"""


async def compare_runs(
    conn: asyncpg.Connection, earlier: uuid.UUID, later: uuid.UUID
) -> list[asyncpg.Record]:
    return await conn.fetch(COMPARE, earlier, later)


# The same comparison, as (change, finding id) in the order of COMPARE.
COMPARE_IDS = f"SELECT c.change, c.id FROM ({COMPARE}) c ORDER BY c.change, c.suite, c.rule, c.id"


async def compare_ids(
    conn: asyncpg.Connection, earlier: uuid.UUID, later: uuid.UUID
) -> list[tuple[str, int]]:
    return [(r["change"], r["id"]) for r in await conn.fetch(COMPARE_IDS, earlier, later)]


async def checks_of_runs(
    conn: asyncpg.Connection, run_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    """The checks of several runs, each run's in run order (one statement)."""
    grouped: dict[uuid.UUID, list[asyncpg.Record]] = {r: [] for r in run_ids}
    for row in await conn.fetch(
        """SELECT run_id, suite, suite_version, rule, severity::text AS severity, description,
                  status::text AS status, failing, error, round(seconds * 1000)::int AS milliseconds
             FROM audit_check WHERE run_id = ANY($1::uuid[]) ORDER BY run_id, position""",
        run_ids,
    ):
        grouped[row["run_id"]].append(row)
    return grouped


async def run_seq(conn: asyncpg.Connection, run_id: uuid.UUID) -> int | None:
    """The run's seq (its GraphQL key), None when unknown or not visible."""
    return await conn.fetchval("SELECT seq FROM audit_run WHERE id = $1", run_id)


async def run_uuid(conn: asyncpg.Connection, seq: int) -> uuid.UUID | None:
    return await conn.fetchval("SELECT id FROM audit_run WHERE seq = $1", seq)


async def finding_by_id(conn: asyncpg.Connection, finding_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {FINDING_COLUMNS} FROM audit_finding f WHERE f.id = $1", finding_id
    )


async def add_event(
    conn: asyncpg.Connection, finding_id: int, status: str, note: str | None, by: str
) -> asyncpg.Record:
    """Append a status event (the trigger checks the transition and fills the
    fingerprint); raises asyncpg.CheckViolationError for a transition not allowed."""
    return await conn.fetchrow(
        """INSERT INTO audit_finding_event (finding_id, fingerprint, status, note, by_subject)
           VALUES ($1, '', $2::audit_finding_status, $3, $4)
           RETURNING id, finding_id, fingerprint, status::text AS status, note, by_subject, at""",
        finding_id,
        status,
        note,
        by,
    )


async def events_of(conn: asyncpg.Connection, fingerprint: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, finding_id, fingerprint, status::text AS status, note, by_subject, at
             FROM audit_finding_event WHERE fingerprint = $1 ORDER BY id""",
        fingerprint,
    )


async def docs_page(conn: asyncpg.Connection, run_id: uuid.UUID, suite: str) -> str | None:
    return await conn.fetchval(
        "SELECT html FROM audit_run_docs WHERE run_id = $1 AND suite = $2", run_id, suite
    )


async def docs_suites(conn: asyncpg.Connection, run_id: uuid.UUID) -> list[str]:
    rows = await conn.fetch(
        "SELECT suite FROM audit_run_docs WHERE run_id = $1 ORDER BY suite", run_id
    )
    return [r["suite"] for r in rows]
