"""SQL of the report reads that are not in the mapping: validation runs, findings, quarantine.

Functions take anything that runs statements like a pool (``fetch``/``fetchrow``): the
pool, or a principal's session. Lists are keyset pages: ``first`` rows after a key, and
one more to tell whether there is a next page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg

from db.reports_mapping import MONTHLY_REPORT


class Executor(Protocol):
    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]: ...

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None: ...


@dataclass(frozen=True)
class Page:
    rows: list[asyncpg.Record]
    has_next: bool


def _page(rows: list[asyncpg.Record], first: int) -> Page:
    return Page(rows[:first], len(rows) > first)


RUN_COLUMNS = """
    r.id, r.seq, r.suite, r.suite_version, r.submitted_by, r.source::text AS source,
    r.dry_run, r.atomic, r.revise, r.rows, r.accepted, r.rejected, r.warnings, r.stored,
    r.started_at, r.finished_at"""


async def runs_by_id(ex: Executor, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await ex.fetch(
        f"SELECT {RUN_COLUMNS} FROM validation_run r WHERE r.id = ANY($1::uuid[])", list(ids)
    )
    return {r["id"]: r for r in rows}


RUNS_WHERE = """($1::text IS NULL OR r.source::text = $1)
               AND ($2::text IS NULL OR r.submitted_by = $2)"""


async def runs_page(
    ex: Executor,
    *,
    source: str | None,
    submitted_by: str | None,
    first: int,
    before_seq: int | None,
) -> Page:
    """Runs, the latest first."""
    rows = await ex.fetch(
        f"""SELECT {RUN_COLUMNS} FROM validation_run r WHERE {RUNS_WHERE}
               AND ($3::bigint IS NULL OR r.seq < $3)
             ORDER BY r.seq DESC LIMIT $4""",
        source,
        submitted_by,
        before_seq,
        first + 1,
    )
    return _page(rows, first)


async def runs_count(ex: Executor, *, source: str | None, submitted_by: str | None) -> int:
    row = await ex.fetchrow(
        f"SELECT count(*) AS n FROM validation_run r WHERE {RUNS_WHERE}", source, submitted_by
    )
    return int(row["n"]) if row else 0


FINDING_COLUMNS = """
    f.id, f.run_id, f.source_row, f.area_code, f.period, f.rule, f.severity::text AS severity,
    f.message"""


FINDINGS_WHERE = """f.run_id = $1
               AND ($2::text IS NULL OR f.rule = $2)
               AND ($3::text IS NULL OR f.severity::text = $3)"""


async def findings_page(
    ex: Executor,
    run_id: uuid.UUID,
    *,
    rule: str | None,
    severity: str | None,
    first: int,
    after_id: int | None,
) -> Page:
    """A run's findings in row order."""
    rows = await ex.fetch(
        f"""SELECT {FINDING_COLUMNS} FROM report_finding f WHERE {FINDINGS_WHERE}
               AND ($4::bigint IS NULL OR f.id > $4)
             ORDER BY f.id LIMIT $5""",
        run_id,
        rule,
        severity,
        after_id,
        first + 1,
    )
    return _page(rows, first)


async def findings_count(
    ex: Executor, run_id: uuid.UUID, *, rule: str | None, severity: str | None
) -> int:
    row = await ex.fetchrow(
        f"SELECT count(*) AS n FROM report_finding f WHERE {FINDINGS_WHERE}",
        run_id,
        rule,
        severity,
    )
    return int(row["n"]) if row else 0


async def findings_of_rows(
    ex: Executor, keys: Sequence[tuple[uuid.UUID, int]]
) -> dict[tuple[uuid.UUID, int], list[asyncpg.Record]]:
    """The findings of stored report rows, by (run, row), in one statement."""
    rows = await ex.fetch(
        f"""SELECT {FINDING_COLUMNS} FROM report_finding f
              JOIN unnest($1::uuid[], $2::int[]) AS k(run_id, source_row)
                ON f.run_id = k.run_id AND f.source_row = k.source_row
             ORDER BY f.id""",
        [k[0] for k in keys],
        [k[1] for k in keys],
    )
    grouped: dict[tuple[uuid.UUID, int], list[asyncpg.Record]] = {k: [] for k in keys}
    for r in rows:
        grouped[(r["run_id"], r["source_row"])].append(r)
    return grouped


QUARANTINE_COLUMNS = """
    q.id, q.run_id, q.source_row, q.area_code, q.period, q.raw_values, q.findings,
    q.status::text AS status, q.previous_id, q.resolved_run_id, q.resolved_by, q.resolved_at,
    q.note, q.created_at"""


async def quarantined_by_id(ex: Executor, ids: Sequence[int]) -> dict[int, asyncpg.Record]:
    rows = await ex.fetch(
        f"SELECT {QUARANTINE_COLUMNS} FROM quarantined_report q WHERE q.id = ANY($1::bigint[])",
        list(ids),
    )
    return {r["id"]: r for r in rows}


async def quarantined_of_runs(
    ex: Executor, run_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[asyncpg.Record]]:
    rows = await ex.fetch(
        f"""SELECT {QUARANTINE_COLUMNS} FROM quarantined_report q
             WHERE q.run_id = ANY($1::uuid[]) ORDER BY q.source_row""",
        list(run_ids),
    )
    grouped: dict[uuid.UUID, list[asyncpg.Record]] = {k: [] for k in run_ids}
    for r in rows:
        grouped[r["run_id"]].append(r)
    return grouped


QUARANTINE_WHERE = """($1::text IS NULL OR q.area_code = $1
                    OR q.area_path <@ (SELECT a.path FROM area a WHERE a.code = $1))
               AND ($2::text IS NULL OR q.period = $2)
               AND ($3::text IS NULL OR q.status::text = $3)"""


async def quarantine_page(
    ex: Executor,
    *,
    area_code: str | None,
    period: str | None,
    status: str | None,
    first: int,
    before_id: int | None,
) -> Page:
    """Quarantined rows, the latest first; ``area_code`` takes the area's whole subtree
    (and rows naming that code, stored or not)."""
    rows = await ex.fetch(
        f"""SELECT {QUARANTINE_COLUMNS} FROM quarantined_report q WHERE {QUARANTINE_WHERE}
               AND ($4::bigint IS NULL OR q.id < $4)
             ORDER BY q.id DESC LIMIT $5""",
        area_code,
        period,
        status,
        before_id,
        first + 1,
    )
    return _page(rows, first)


async def quarantine_count(
    ex: Executor, *, area_code: str | None, period: str | None, status: str | None
) -> int:
    row = await ex.fetchrow(
        f"SELECT count(*) AS n FROM quarantined_report q WHERE {QUARANTINE_WHERE}",
        area_code,
        period,
        status,
    )
    return int(row["n"]) if row else 0


async def reports_by_version(
    ex: Executor, keys: Sequence[tuple[str, str, int]]
) -> dict[tuple[str, str, int], asyncpg.Record]:
    """Report versions by (area code, period YYYY-MM, version), with the mapping's columns."""
    rows = await ex.fetch(
        f"""SELECT a.code AS _code, {MONTHLY_REPORT.column_list("t")}
              FROM unnest($1::text[], $2::text[], $3::int[]) AS k(code, period, version)
              JOIN area a ON a.code = k.code
              JOIN monthly_report t ON t.area_id = a.id AND t.version = k.version
                   AND t.period = to_date(k.period, 'YYYY-MM')""",
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
    )
    return {(r["_code"], r["period"], r["version"]): r for r in rows}


DISMISS = f"""
UPDATE quarantined_report q
   SET status = 'dismissed', resolved_by = $2, resolved_at = now(), note = $3
 WHERE q.id = $1 AND q.status = 'open'
RETURNING {QUARANTINE_COLUMNS}
"""


async def dismiss(
    conn: asyncpg.Connection, quarantine_id: int, by: str, note: str | None
) -> asyncpg.Record | None:
    """Dismiss an open quarantined row; None when it is not open (or not there)."""
    return await conn.fetchrow(DISMISS, quarantine_id, by, note)
