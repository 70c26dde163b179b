"""SQL of the monthly report intake: the checks against stored data, and storing a run.

``check_rows`` computes rules E3, E4 (stored part) and W1-W4 for every row of one or
more submissions in ONE statement; ``store`` writes runs, report versions, findings and
quarantined rows with one statement each. The caller runs them in one transaction,
after ``lock`` when it will write, so rows are judged against exactly what they are
stored next to.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg
import orjson

# Intakes that store serialise on this (transaction-scoped) advisory lock: two of them
# must not both find (area, month) unstored and both store version 1. Readers, dry runs
# and other writers are not blocked.
INTAKE_LOCK_KEY = 0x6F6E675F696E74  # "ong_int"

SQL_CHECKS = frozenset(
    {
        "area_is_village",
        "once_per_area_and_month",
        "continues_previous_month",
        "stable_population",
        "matches_registry",
        "requests_rate_outlier",
    }
)

# One row out per row in. W4's reference set for a row is every village of its town
# reporting that month: the stored current versions, with the submission's own rows in
# place of (or in addition to) them. The modified z-score is Iglewicz and Hoaglin's
# 0.6745 (x - median) / MAD; when MAD is 0 (half the villages report the same rate) the
# mean absolute deviation scaled by 1.253314 stands in for it (the usual fallback).
CHECK_ROWS = """
WITH input AS (
    SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::date[], $5::int[], $6::int[],
                         $7::int[], $8::int[])
        AS i(sub, pos, area_code, period, households, residents, open_start, received)
),
located AS (
    SELECT i.*, a.id AS area_id, a.name AS area_name, a.level::text AS area_level,
           a.parent_id AS town_id, a.path AS village_path
      FROM input i LEFT JOIN area a ON a.code = i.area_code
),
registry AS (
    SELECT v.area_id, (SELECT count(*) FROM household h WHERE h.area_path <@ v.village_path) AS n
      FROM (SELECT DISTINCT area_id, village_path FROM located WHERE area_level = 'village') v
),
own AS (
    SELECT DISTINCT ON (sub, area_id, period) sub, pos, area_id, town_id, period,
           received * 100.0 / households AS rate
      FROM located
     WHERE area_level = 'village' AND period IS NOT NULL AND households > 0
       AND received IS NOT NULL
     ORDER BY sub, area_id, period, pos
),
groups AS (SELECT DISTINCT sub, town_id, period FROM own),
peers AS (
    SELECT sub, pos, town_id, period, rate FROM own
    UNION ALL
    SELECT g.sub, NULL, g.town_id, g.period, r.requests_received * 100.0 / r.households
      FROM groups g
      JOIN area v ON v.parent_id = g.town_id AND v.level = 'village'
      JOIN monthly_report_current r ON r.area_id = v.id AND r.period = g.period
     WHERE r.households > 0
       AND NOT EXISTS (SELECT 1 FROM own o
                        WHERE o.sub = g.sub AND o.area_id = r.area_id AND o.period = r.period)
),
-- medians by window functions (no join back to a grouped set: the planner misjudges
-- those row counts badly): the middle one or two of each group's sorted values
ranked AS (
    SELECT p.*, row_number() OVER (PARTITION BY sub, town_id, period ORDER BY rate) AS rn,
           count(*) OVER (PARTITION BY sub, town_id, period) AS villages
      FROM peers p
),
centred AS (
    SELECT r.*, avg(rate) FILTER (WHERE rn IN ((villages + 1) / 2, (villages + 2) / 2))
                    OVER (PARTITION BY sub, town_id, period) AS median
      FROM ranked r
),
deviations AS (
    SELECT c.*, abs(rate - median) AS dev,
           row_number() OVER (PARTITION BY sub, town_id, period ORDER BY abs(rate - median)) AS dn
      FROM centred c
),
spread AS (
    SELECT d.*,
           avg(dev) FILTER (WHERE dn IN ((villages + 1) / 2, (villages + 2) / 2))
               OVER (PARTITION BY sub, town_id, period) AS mad,
           avg(dev) OVER (PARTITION BY sub, town_id, period) AS mean_ad
      FROM deviations d
),
outliers AS (
    SELECT sub, pos, rate, villages, median,
           CASE WHEN mad > 0 THEN 0.6745 * (rate - median) / mad
                WHEN mean_ad > 0 THEN (rate - median) / (1.253314 * mean_ad)
                ELSE 0 END AS z
      FROM spread WHERE pos IS NOT NULL
)
SELECT l.sub, l.pos, l.area_id, l.area_name, l.area_level,
       coalesce(l.village_path, area_path_for_code(l.area_code))::text AS area_path,
       stored.version AS stored_version,
       prev.requests_open_end AS previous_open_end,
       prev.households AS previous_households,
       prev.residents AS previous_residents,
       to_char(prev.period, 'YYYY-MM') AS previous_period,
       reg.n AS registered,
       o.rate, o.villages, o.median, o.z,
       (prev.requests_open_end IS NOT NULL AND l.open_start IS NOT NULL
        AND l.open_start <> prev.requests_open_end) AS w1,
       (abs(l.households - prev.households) > $9::float8 * prev.households) AS w2_households,
       (abs(l.residents - prev.residents) > $9::float8 * prev.residents) AS w2_residents,
       (reg.n > 0 AND abs(l.households - reg.n) > $10::float8 * reg.n) AS w3,
       (o.villages >= $12::int AND abs(o.z) > $11::float8) AS w4
  FROM located l
  LEFT JOIN registry reg ON reg.area_id = l.area_id
  LEFT JOIN outliers o ON o.sub = l.sub AND o.pos = l.pos
  LEFT JOIN LATERAL (
        SELECT max(r.version) AS version FROM monthly_report r
         WHERE r.area_id = l.area_id AND r.period = l.period) stored ON true
  LEFT JOIN LATERAL (
        SELECT r.period, r.requests_open_end, r.households, r.residents
          FROM monthly_report r
         WHERE r.area_id = l.area_id AND r.period = (l.period - interval '1 month')::date
         ORDER BY r.version DESC LIMIT 1) prev ON l.area_level = 'village'
 ORDER BY l.sub, l.pos
"""


@dataclass
class CheckInput:
    """What the SQL checks read, a list per column with one item per row: the row's
    submission and position, and its values (None where missing or invalid)."""

    sub: list[int] = field(default_factory=list)
    pos: list[int] = field(default_factory=list)
    area_code: list[str | None] = field(default_factory=list)
    period: list[dt.date | None] = field(default_factory=list)
    households: list[int | None] = field(default_factory=list)
    residents: list[int | None] = field(default_factory=list)
    open_start: list[int | None] = field(default_factory=list)
    received: list[int | None] = field(default_factory=list)


@dataclass(frozen=True)
class Thresholds:
    max_change: float  # W2
    max_difference: float  # W3
    max_modified_z: float  # W4
    min_villages: int  # W4


def _checker() -> Any:
    from db.session import Principal

    # reads every area and report (auditors do), writes nothing
    return Principal("report-intake", "auditor")


CHECKER = _checker()


async def act_as(conn: asyncpg.Connection, principal: Any) -> None:
    """Make ``principal`` (db.session.Principal) the one row-level security judges for the
    rest of the transaction, or of the savepoint it is called in."""
    begin, _, settings = principal.settings_sql(read_only=False).partition("; ")
    # db.session builds "BEGIN; SELECT set_config(...)": the transaction is open already
    assert begin == "BEGIN", principal.settings_sql(read_only=False)
    await conn.execute(settings)


async def lock(conn: asyncpg.Connection) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", INTAKE_LOCK_KEY)


async def check_rows(
    conn: asyncpg.Connection, rows: CheckInput, thresholds: Thresholds
) -> dict[tuple[int, int], asyncpg.Record]:
    """The facts and flags of every row, by (submission, position)."""
    if not rows.pos:
        return {}
    records = await conn.fetch(
        CHECK_ROWS,
        rows.sub,
        rows.pos,
        rows.area_code,
        rows.period,
        rows.households,
        rows.residents,
        rows.open_start,
        rows.received,
        thresholds.max_change,
        thresholds.max_difference,
        thresholds.max_modified_z,
        thresholds.min_villages,
    )
    return {(r["sub"], r["pos"]): r for r in records}


@dataclass(frozen=True)
class RunWrite:
    id: uuid.UUID
    suite: str
    suite_version: str
    submitted_by: str
    source: str
    dry_run: bool
    atomic: bool
    revise: bool
    rows: int
    accepted: int
    rejected: int
    warnings: int
    stored: bool
    started_at: dt.datetime
    finished_at: dt.datetime


# Figures of a report in table order; the intake parses them from the accepted rows.
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
DECIMAL_FIGURES = frozenset({"volunteer_hours", "collective_income", "dividends_paid"})


@dataclass(frozen=True)
class StagedReport:
    """A row that may be stored as a report (its figures, village and month are valid),
    copied into the transaction's stage while Great Expectations judges it."""

    sub: int  # the submission's number in the batch
    pos: int
    area_id: int
    area_path: str
    period: dt.date
    submitted_by: str
    figures: tuple[int | Decimal, ...]  # in FIGURES order


@dataclass(frozen=True)
class ReportWrite:
    """An accepted, staged row stored as version ``version`` of its run."""

    run_id: uuid.UUID
    source_row: int
    sub: int
    pos: int
    version: int


@dataclass(frozen=True)
class FindingWrite:
    run_id: uuid.UUID
    source_row: int
    area_code: str | None
    period: str | None
    area_path: str | None
    rule: str
    severity: str
    message: str


@dataclass(frozen=True)
class QuarantineWrite:
    run_id: uuid.UUID
    source_row: int
    area_code: str | None
    period: str | None
    area_path: str | None
    raw_values: dict[str, Any]
    findings: list[dict[str, str]]
    previous_id: int | None


@dataclass(frozen=True)
class Resolution:
    """An open quarantined row taken up by a run: corrected or resubmitted."""

    quarantine_id: int
    status: str
    run_id: uuid.UUID
    resolved_by: str


class AlreadyResolved(Exception):
    def __init__(self, quarantine_id: int) -> None:
        super().__init__(f"quarantined row {quarantine_id} is no longer open")
        self.quarantine_id = quarantine_id


INSERT_RUNS = """
INSERT INTO validation_run (id, suite, suite_version, submitted_by, source, dry_run, atomic,
                            revise, rows, accepted, rejected, warnings, stored, started_at,
                            finished_at)
SELECT r.id, r.suite, r.suite_version, r.submitted_by, r.source::intake_source, r.dry_run,
       r.atomic, r.revise, r.rows, r.accepted, r.rejected, r.warnings, r.stored, r.started_at,
       r.finished_at
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[],
              $7::bool[], $8::bool[], $9::int[], $10::int[], $11::int[], $12::int[],
              $13::bool[], $14::timestamptz[], $15::timestamptz[])
       AS r(id, suite, suite_version, submitted_by, source, dry_run, atomic, revise, rows,
            accepted, rejected, warnings, stored, started_at, finished_at)
"""

# Rows that may be stored are copied here (COPY) while Great Expectations runs, so that
# after it only the accepted ones' keys and versions travel. Per connection, emptied at
# the end of each transaction.
STAGE = "intake_report_stage"
CREATE_STAGE = f"""
CREATE TEMP TABLE IF NOT EXISTS {STAGE} (
    sub int, pos int, area_id bigint NOT NULL, area_path text NOT NULL, period date NOT NULL,
    submitted_by text NOT NULL,
    {", ".join(f"{f} {'numeric' if f in DECIMAL_FIGURES else 'int'} NOT NULL" for f in FIGURES)},
    PRIMARY KEY (sub, pos)
) ON COMMIT DELETE ROWS
"""

# The writer gives the village's path; the foreign key (area_id, area_path, area_level)
# checks it is the area's and that the area is a village (migration 0011).
INSERT_REPORTS = f"""
INSERT INTO monthly_report (run_id, source_row, area_id, area_path, period, version,
                            submitted_by, {", ".join(FIGURES)})
SELECT k.run_id, k.source_row, s.area_id, s.area_path::ltree, s.period, k.version,
       s.submitted_by, {", ".join(f"s.{f}" for f in FIGURES)}
  FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[], $5::int[])
       AS k(run_id, source_row, sub, pos, version)
  JOIN {STAGE} s ON s.sub = k.sub AND s.pos = k.pos
"""


INSERT_FINDINGS = """
INSERT INTO report_finding (run_id, source_row, area_code, period, area_path, rule, severity,
                            message)
SELECT f.run_id, f.source_row, f.area_code, f.period, f.area_path::ltree, f.rule,
       f.severity::finding_severity, f.message
  FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[],
              $7::text[], $8::text[])
       AS f(run_id, source_row, area_code, period, area_path, rule, severity, message)
"""

INSERT_QUARANTINE = """
INSERT INTO quarantined_report (run_id, source_row, area_code, period, area_path, raw_values,
                                findings, previous_id)
SELECT q.run_id, q.source_row, q.area_code, q.period, q.area_path::ltree,
       q.raw_values::jsonb, q.findings::jsonb, q.previous_id
  FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[],
              $7::text[], $8::bigint[])
       AS q(run_id, source_row, area_code, period, area_path, raw_values, findings, previous_id)
RETURNING id, run_id, source_row
"""

RESOLVE = """
UPDATE quarantined_report q
   SET status = r.status::quarantine_status, resolved_run_id = r.run_id,
       resolved_by = r.resolved_by, resolved_at = now()
  FROM unnest($1::bigint[], $2::text[], $3::uuid[], $4::text[])
       AS r(id, status, run_id, resolved_by)
 WHERE q.id = r.id AND q.status = 'open'
RETURNING q.id
"""


async def stage(conn: asyncpg.Connection, rows: Sequence[StagedReport]) -> None:
    """Copy the rows that may be stored into this transaction's stage."""
    await conn.execute(CREATE_STAGE)
    if rows:
        await conn.copy_records_to_table(
            STAGE,
            records=[
                (r.sub, r.pos, r.area_id, r.area_path, r.period, r.submitted_by, *r.figures)
                for r in rows
            ],
        )


async def store(
    conn: asyncpg.Connection,
    runs: Sequence[RunWrite],
    reports: Sequence[ReportWrite],
    findings: Sequence[FindingWrite],
    quarantine: Sequence[QuarantineWrite],
    resolutions: Sequence[Resolution] = (),
) -> dict[tuple[uuid.UUID, int], int]:
    """Write everything in one go; returns the quarantine ids by (run, source row).
    AlreadyResolved when a resolution's row was resolved by someone else meanwhile."""
    if runs:
        await conn.execute(INSERT_RUNS, *_columns(runs, RunWrite))
    if reports:
        status = await conn.execute(INSERT_REPORTS, *_columns(reports, ReportWrite))
        if int(status.split()[-1]) != len(reports):  # an accepted row was not staged: a bug
            raise RuntimeError(f"{status}: {len(reports)} reports to store")
    if findings:
        await conn.execute(INSERT_FINDINGS, *_columns(findings, FindingWrite))
    ids: dict[tuple[uuid.UUID, int], int] = {}
    if quarantine:
        columns = _columns(quarantine, QuarantineWrite)
        # as JSON text: asyncpg would read a list of findings as a second array dimension
        for i in (5, 6):
            columns[i] = [orjson.dumps(value).decode() for value in columns[i]]
        for record in await conn.fetch(INSERT_QUARANTINE, *columns):
            ids[(record["run_id"], record["source_row"])] = record["id"]
    if resolutions:
        done = {
            r["id"]
            for r in await conn.fetch(
                RESOLVE,
                [r.quarantine_id for r in resolutions],
                [r.status for r in resolutions],
                [r.run_id for r in resolutions],
                [r.resolved_by for r in resolutions],
            )
        }
        for r in resolutions:
            if r.quarantine_id not in done:
                raise AlreadyResolved(r.quarantine_id)
    return ids


def _columns(items: Sequence[Any], cls: type) -> list[list[Any]]:
    names = list(cls.__dataclass_fields__)
    return [[getattr(item, name) for item in items] for name in names]
